package dev.bulwark.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.sigma.LoadReport;
import dev.bulwark.sigma.RuleSource;
import dev.bulwark.sigma.SigmaEngine;
import dev.bulwark.sigma.SigmaSettings;

/** The pipeline benchmark's rule sets load as the operator's rules would, with the number of rules they claim. */
class BenchRulesTest {

    @TempDir
    Path dir;

    @Test
    void eachRuleSetLoadsItsNumberOfDistinctRulesFromFiles() throws Exception {
        for (Map.Entry<String, Integer> set : Map.of("1", 1, "100", 100, "250", 250).entrySet()) {
            Map<String, String> settings = BenchRules.sigmaSettings(set.getKey(), dir);
            assertThat(settings).containsEntry("bundled", "false");
            SigmaSettings sigma = SigmaSettings.from(settings);
            LoadReport report = SigmaEngine.create().load(sigma.rulePaths());
            assertThat(report.skipped()).as(set.getKey()).isEmpty();
            assertThat(report.ruleSet().rules()).as(set.getKey()).hasSize(set.getValue());
            assertThat(report.ruleSet().rules().stream().map(r -> r.rule().id()).distinct()).hasSize(set.getValue());
        }
    }

    @Test
    void allMeansTheShippedRulesAndNoneMeansNoRule() throws Exception {
        assertThat(BenchRules.sigmaSettings("all", dir)).isEmpty();
        assertThat(BenchRules.sigmaSettings("none", dir)).containsExactly(Map.entry("bundled", "false"));
        assertThat(BenchRules.label("all")).startsWith(RuleSource.bundledTexts().size() + " ");
        assertThat(BenchRules.files("1")).containsOnlyKeys("proc_creation_lnx_netcat_reverse_shell.yml");
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).as("nothing written for all or none").isEmpty();
        }
    }

    @Test
    void aRuleFolderLoadsItsLoadableRulesInBothBenchmarks() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("checkout/rules/linux"));
        RuleSource.bundledTexts().entrySet().stream().limit(3).forEach(file -> {
            try {
                Files.writeString(folder.resolve(file.getKey().replace('/', '_')), file.getValue());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Files.writeString(folder.resolve("windows.yml"), """
                title: a Windows rule
                logsource: {product: windows, category: process_creation}
                detection: {sel: {Image|endswith: '\\\\cmd.exe'}, condition: sel}
                """);
        String checkout = dir.resolve("checkout").toString();
        Map<String, String> settings = BenchRules.sigmaSettings(checkout, dir.resolve("unused"));
        assertThat(settings).containsEntry("bundled", "false").containsEntry("rules", dir.resolve("checkout")
                .toAbsolutePath().toString());
        assertThat(BenchRules.label(checkout)).contains(checkout);
        assertThat(SigmaMatchBenchmark.ruleSet(SigmaEngine.create(), checkout).rules())
                .as("the three loadable rules, not the Windows one").hasSize(3);
    }

    @Test
    void rejectsRuleSetsThatAreNotACount() {
        assertThatThrownBy(() -> BenchRules.files("lots")).hasMessageContaining("--rules must be none, 1, all or a number");
        assertThatThrownBy(() -> BenchRules.files("0")).hasMessageContaining("between 1 and 10000");
    }

    @Test
    void theSummaryPrintsEachFigureBesideItsBaselineRatioAndTarget() {
        Summary summary = new Summary();
        summary.add("detectors", "vs. pass-through", Summary.perSecond(30_000, "events"),
                Summary.perSecond(60_000, "events"), 0.5, Summary.atLeast(0.5, 0.5));
        summary.add("detectors", "vs. pass-through", "1", "2", 0.49, Summary.atLeast(0.49, 0.5));
        summary.add("memory", "detectors", Summary.megabytes(300L << 20));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        summary.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(2)).isEqualTo("| detectors | vs. pass-through | 30,000 events/s | 60,000 events/s | 0.50 | ≥ 0.50: met |");
        assertThat(lines.get(3)).endsWith("| 0.49 | ≥ 0.50: **not met** |");
        assertThat(lines.get(4)).isEqualTo("| memory | detectors | 300 MB |  |  |  |");
    }
}
