/**
 * Container log files: CRI ({@code cri}) and Docker json-file ({@code docker}) lines into {@code container.logs}
 * events.
 *
 * <p>{@link dev.bulwark.ingest.containerlogs.CriParser} and {@link dev.bulwark.ingest.containerlogs.DockerJsonParser}
 * each decode one line format; a shared framer groups partial chunks and stack-trace lines of one stream into one record
 * (so the dead letter of a bad record holds exactly its lines), and a shared event builder joins the messages and reads
 * Kubernetes and container identity from the file path.
 */
package dev.bulwark.ingest.containerlogs;
