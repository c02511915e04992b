package dev.bulwark.ingest;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.bulwark.ingest.falco.FalcoParser;
import dev.bulwark.ingest.k8saudit.KubernetesAuditParser;
import dev.bulwark.ingest.tetragon.TetragonParser;

/**
 * The parsers Bulwark ships, by format name.
 *
 * <p>Why: the command line, the HTTP receiver and tests all select a parser by the same name.
 */
public final class Parsers {

    private static final Map<String, SourceParser> BY_FORMAT = new LinkedHashMap<>();

    static {
        register(new FalcoParser());
        register(new TetragonParser());
        register(new KubernetesAuditParser());
    }

    private Parsers() {
    }

    private static void register(SourceParser parser) {
        BY_FORMAT.put(parser.format(), parser);
    }

    /** Format names accepted by {@link #forFormat}. */
    public static Set<String> formats() {
        return BY_FORMAT.keySet();
    }

    /**
     * The parser for a format.
     *
     * @throws IllegalArgumentException listing the supported formats when the name is unknown
     */
    public static SourceParser forFormat(String format) {
        SourceParser parser = BY_FORMAT.get(format);
        if (parser == null) {
            throw new IllegalArgumentException("unknown format '" + format + "'; supported: " + String.join(", ", formats()));
        }
        return parser;
    }
}
