package dev.bulwark.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulwark.sigma.ParsedRules;
import dev.bulwark.sigma.RuleSource;
import dev.bulwark.sigma.SigmaEngine;

/**
 * Sigma rule sets for the pipeline benchmark: {@code none}, {@code 1} (the netcat reverse-shell rule), {@code all} (every
 * shipped rule), or a number of rules (the shipped ones plus variants of them, see
 * {@link SigmaMatchBenchmark#vary(String, int)}), as the {@code sigma} detector's settings.
 *
 * <p>Why: "how does detection slow down with more rules" needs the same events through the real topology with rule
 * sets of different sizes, loaded the way an operator loads them (rule files in a directory).
 */
final class BenchRules {

    private static final String ONE_RULE = "proc_creation_lnx_netcat_reverse_shell.yml";

    private BenchRules() {
    }

    /** The {@code detection.detectors.sigma} settings that load {@code which}, writing rule files under {@code dir}. */
    static Map<String, String> sigmaSettings(String which, Path dir) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        switch (which) {
            case "all" -> {
                return settings;
            }
            case "none" -> {
                settings.put("bundled", "false");
                return settings;
            }
            default -> {
                if (Files.isDirectory(Path.of(which))) {
                    // any rule folder, a SigmaHQ checkout say, loaded as an operator loads it
                    settings.put("bundled", "false");
                    settings.put("rules", Path.of(which).toAbsolutePath().toString());
                    return settings;
                }
                Map<String, String> files = files(which);
                Path rules = dir.resolve("rules-" + which);
                Files.createDirectories(rules);
                for (Map.Entry<String, String> file : files.entrySet()) {
                    Files.writeString(rules.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
                }
                settings.put("bundled", "false");
                settings.put("rules", rules.toString());
                return settings;
            }
        }
    }

    /** A short label for tables. */
    static String label(String which) {
        return switch (which) {
            case "all" -> RuleSource.bundledTexts().size() + " (all shipped)";
            case "none" -> "0";
            default -> Files.isDirectory(Path.of(which)) ? "the loadable rules of " + which : which;
        };
    }

    /** Rule files by file name: the one rule, or {@code count} rules (shipped first, then variants). */
    static Map<String, String> files(String which) {
        Map<String, String> shipped = RuleSource.bundledTexts();
        Map<String, String> out = new LinkedHashMap<>();
        if ("1".equals(which)) {
            shipped.forEach((name, text) -> {
                if (name.endsWith("/" + ONE_RULE)) {
                    out.put(ONE_RULE, text);
                }
            });
            if (out.isEmpty()) {
                throw new IllegalStateException("the shipped rules no longer include " + ONE_RULE);
            }
            return out;
        }
        int count;
        try {
            count = Integer.parseInt(which);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rules must be none, 1, all or a number of rules, got " + which);
        }
        if (count < 1 || count > 10_000) {
            throw new IllegalArgumentException("--rules must be between 1 and 10000 rules, got " + count);
        }
        SigmaEngine engine = SigmaEngine.create();
        List<String> texts = new ArrayList<>(shipped.values());
        for (int variant = -1; out.size() < count; variant++) {
            for (String text : texts) {
                if (out.size() == count) {
                    break;
                }
                String varied = variant < 0 ? text : SigmaMatchBenchmark.vary(text, variant);
                String name = "rule-" + out.size() + ".yml";
                ParsedRules one = engine.loader().parse(name, varied);
                if (one.failures().isEmpty() && one.rules().size() == 1) {
                    out.put(name, varied);
                }
            }
        }
        return out;
    }
}
