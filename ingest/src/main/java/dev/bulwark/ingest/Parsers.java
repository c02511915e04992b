package dev.bulwark.ingest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import dev.bulwark.ingest.containerlogs.CriParser;
import dev.bulwark.ingest.containerlogs.DockerJsonParser;
import dev.bulwark.ingest.falco.FalcoParser;
import dev.bulwark.ingest.k8saudit.KubernetesAuditParser;
import dev.bulwark.ingest.k8sobjects.KubernetesObjectsParser;
import dev.bulwark.ingest.policy.PolicyReportParser;
import dev.bulwark.ingest.tetragon.TetragonParser;
import dev.bulwark.ingest.trivy.TrivyComplianceParser;
import dev.bulwark.ingest.trivy.TrivyParser;

/**
 * The parsers Bulwark ships, by format name.
 *
 * <p>Why: the command line, the HTTP receiver and tests all select a parser by the same name; parsers that take
 * settings (the tenant label keys of Kubernetes objects) are built from {@link Settings}.
 */
public final class Parsers {

    /** Settings some parsers take. */
    public record Settings(List<String> tenantKeys) {
        /** Tenant from {@code bulwark.io/tenant}, then Capsule's {@code capsule.clastix.io/tenant}, then {@code tenant}. */
        public static final Settings DEFAULTS = new Settings(
                List.of("bulwark.io/tenant", "capsule.clastix.io/tenant", "tenant"));

        public Settings {
            tenantKeys = List.copyOf(tenantKeys);
        }
    }

    private static final Map<String, Function<Settings, SourceParser>> BY_FORMAT = new LinkedHashMap<>();

    static {
        register("falco", settings -> new FalcoParser());
        register("tetragon", settings -> new TetragonParser());
        register("k8s-audit", settings -> new KubernetesAuditParser());
        register("cri", settings -> new CriParser());
        register("docker", settings -> new DockerJsonParser());
        register("trivy", settings -> new TrivyParser());
        register("k8s-objects", settings -> new KubernetesObjectsParser(settings.tenantKeys()));
        register("policy-report", settings -> new PolicyReportParser());
        register("trivy-compliance", settings -> new TrivyComplianceParser());
        register("auto", AutoParser::new);
    }

    private Parsers() {
    }

    private static void register(String format, Function<Settings, SourceParser> factory) {
        BY_FORMAT.put(format, factory);
    }

    /** Format names accepted by {@link #forFormat}. */
    public static Set<String> formats() {
        return BY_FORMAT.keySet();
    }

    /**
     * The parser for a format, with default settings.
     *
     * @throws IllegalArgumentException listing the supported formats when the name is unknown
     */
    public static SourceParser forFormat(String format) {
        return forFormat(format, Settings.DEFAULTS);
    }

    /** The parser for a format, with the given tenant label keys. */
    public static SourceParser forFormat(String format, List<String> tenantKeys) {
        return forFormat(format, new Settings(tenantKeys));
    }

    /** The parser for a format, with the given settings. */
    public static SourceParser forFormat(String format, Settings settings) {
        Function<Settings, SourceParser> factory = BY_FORMAT.get(format);
        if (factory == null) {
            throw new IllegalArgumentException("unknown format '" + clip(format) + "'; supported: "
                    + String.join(", ", formats()));
        }
        return factory.apply(settings);
    }

    private static String clip(String value) {
        String printable = value.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}
