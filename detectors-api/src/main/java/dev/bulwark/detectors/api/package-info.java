/**
 * The detector API: what a detector plugin compiles against, and nothing else.
 *
 * <p>A detector implements {@link dev.bulwark.detectors.api.Detector}, is listed in
 * {@code META-INF/services/dev.bulwark.detectors.api.Detector}, and builds its part of the Kafka Streams topology from
 * the {@link dev.bulwark.detectors.api.DetectorContext} it is given. Test it with bulwark-detectors-testkit. See
 * {@code docs/writing-a-detector.md}.
 */
package dev.bulwark.detectors.api;
