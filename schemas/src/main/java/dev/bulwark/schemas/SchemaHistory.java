package dev.bulwark.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.avro.Schema;

/**
 * The released versions of each Bulwark schema, shipped as resources under {@code schema-history/<Name>/v<N>.avsc}.
 *
 * <p>Why: records written by an older Bulwark stay on Kafka topics (compacted context topics keep them forever). Readers
 * register these schemas so single-object decoding can resolve the old writer schema, and the compatibility test checks
 * that every change to a schema can still read all of them. When a schema changes in a release, copy the released
 * version here as the next {@code vN.avsc} and add it to {@code index.txt}.
 */
public final class SchemaHistory {

    private static final String ROOT = "/schema-history/";

    private SchemaHistory() {
    }

    /** Older released versions of the schema with this full name (e.g. {@code dev.bulwark.schemas.Finding}). */
    public static List<Schema> olderVersionsOf(String fullName) {
        String simpleName = fullName.substring(fullName.lastIndexOf('.') + 1);
        List<Schema> versions = new ArrayList<>();
        for (String file : index(simpleName)) {
            try (InputStream in = SchemaHistory.class.getResourceAsStream(ROOT + simpleName + "/" + file)) {
                if (in == null) {
                    throw new IllegalStateException("schema history lists " + file + " for " + simpleName + " but it is missing");
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return versions;
    }

    private static List<String> index(String simpleName) {
        try (InputStream in = SchemaHistory.class.getResourceAsStream(ROOT + simpleName + "/index.txt")) {
            if (in == null) {
                return List.of();
            }
            List<String> files = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                String trimmed = line.strip();
                if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                    files.add(trimmed);
                }
            }
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
