package dev.bulwark.bench;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SourceParser;

/**
 * Bundled benchmark workloads: real records of each input format (from the projects' public docs and test data), one
 * per line, repeated to the requested size.
 *
 * <p>Why: a benchmark must run from a fresh clone without the sample folder beside it, on records shaped like
 * production ones.
 */
final class Workloads {

    private Workloads() {
    }

    /** Formats with a bundled workload that this build can parse. */
    static List<String> formats() {
        List<String> formats = new ArrayList<>();
        for (String format : List.of("falco", "tetragon", "k8s-audit", "cri", "docker", "trivy", "k8s-objects")) {
            if (Parsers.formats().contains(format) && Workloads.class.getResource(resource(format)) != null) {
                formats.add(format);
            }
        }
        return formats;
    }

    private static String resource(String format) {
        return "/bench/workload/" + format + ".txt";
    }

    /**
     * The template records of a format: the non-blank lines of its workload file that normalize on their own (the
     * samples include deliberately broken records, which belong in tests, not in a throughput figure).
     */
    static List<byte[]> records(String format) throws IOException {
        SourceParser parser = Parsers.forFormat(format);
        List<byte[]> usable = new ArrayList<>();
        for (byte[] record : lines(format)) {
            try {
                parser.normalize(record, "template");
                usable.add(record);
            } catch (ParseException e) {
                // left out
            }
        }
        if (format.equals("cri") || format.equals("docker")) {
            usable = withoutUnendingPartials(usable, format);
        }
        if (usable.isEmpty()) {
            throw new IOException("no usable record in the bundled workload for " + format);
        }
        return usable;
    }

    /**
     * Container-log templates without the partial lines that no later line of their stream completes: cycled millions
     * of times, such a line would join with its own repeats into one ever-growing message (which ingest splits at the
     * record limit and dead-letters as too large for Kafka: right for real input, not a throughput workload).
     */
    private static List<byte[]> withoutUnendingPartials(List<byte[]> records, String format) {
        List<byte[]> kept = new ArrayList<>();
        java.util.Set<String> completed = new java.util.HashSet<>();
        for (int i = records.size() - 1; i >= 0; i--) {
            String line = new String(records.get(i), StandardCharsets.UTF_8);
            String stream;
            boolean partial;
            if (format.equals("cri")) {
                String[] parts = line.split(" ", 4);
                stream = parts.length > 1 ? parts[1] : "";
                partial = parts.length > 2 && parts[2].equals("P");
            } else {
                stream = line.contains("\"stream\":\"stderr\"") ? "stderr" : "stdout";
                int log = line.indexOf("\"log\":\"");
                int end = log < 0 ? -1 : line.indexOf("\",\"", log + 7);
                partial = end > 0 && !line.substring(log, end).endsWith("\\n");
            }
            if (!partial) {
                completed.add(stream);
                kept.add(0, records.get(i));
            } else if (completed.contains(stream)) {
                kept.add(0, records.get(i));
            }
        }
        return kept;
    }

    private static List<byte[]> lines(String format) throws IOException {
        try (InputStream in = Workloads.class.getResourceAsStream(resource(format))) {
            if (in == null) {
                throw new IOException("no bundled workload for " + format);
            }
            List<byte[]> records = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    records.add(line.getBytes(StandardCharsets.UTF_8));
                }
            }
            return records;
        }
    }

    /** Writes {@code count} records, cycling through the templates. */
    static void write(Path file, List<byte[]> templates, long count) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (long i = 0; i < count; i++) {
                out.write(templates.get((int) (i % templates.size())));
                out.write('\n');
            }
        }
    }

    /** The first {@code count} lines of a workload file (for warm-up). */
    static InputStream firstRecords(Path file, long count) {
        try (InputStream in = Files.newInputStream(file)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long lines = 0;
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0 && lines < count; n = in.read(buffer)) {
                for (int i = 0; i < n && lines < count; i++) {
                    out.write(buffer[i]);
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
            }
            return new ByteArrayInputStream(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
