/**
 * Trivy JSON reports ({@code trivy}, SchemaVersion 2) into vulnerability and secret state events, or one summary event
 * per clean report.
 */
package dev.bulwark.ingest.trivy;
