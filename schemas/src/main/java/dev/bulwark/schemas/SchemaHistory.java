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

    /**
     * What keeps records of {@code type} from surviving an upgrade: the current schema must read every released
     * version (records written before the upgrade), and every released version must read the current one (an older
     * instance during a rolling upgrade). Empty when both hold; a type without a released version is a problem too,
     * since nothing would be checked.
     *
     * <p>Why here: the wire schemas and every module's state schemas are held to the same rule by the same check.
     */
    public static List<String> compatibilityProblems(Class<?> type) {
        Schema current = org.apache.avro.specific.SpecificData.get().getSchema(type);
        List<Schema> released = olderVersionsOf(current.getFullName());
        List<String> problems = new java.util.ArrayList<>();
        if (released.isEmpty()) {
            problems.add(type.getSimpleName() + " has no released version under schema-history/");
        }
        for (Schema old : released) {
            var backward = org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(current, old);
            if (backward.getType() != org.apache.avro.SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                problems.add("the current " + type.getSimpleName() + " cannot read a released version: "
                        + backward.getDescription());
            }
            var forward = org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(old, current);
            if (forward.getType() != org.apache.avro.SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                problems.add("a released " + type.getSimpleName() + " cannot read the current one: "
                        + forward.getDescription());
            }
        }
        return problems;
    }
}
