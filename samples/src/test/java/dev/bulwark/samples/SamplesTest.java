package dev.bulwark.samples;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplesTest {

    @TempDir
    Path temp;

    @Test
    void shouldFindAKnownFileOnTheFileSystem() throws IOException {
        Path alerts = Samples.path("falco/falco_alerts_real.ndjson");
        assertThat(alerts).isRegularFile().isAbsolute();
        assertThat(alerts.getFileSystem()).isEqualTo(Path.of("").getFileSystem());
        List<String> lines = Samples.lines("falco/falco_alerts_real.ndjson");
        assertThat(lines).hasSize(14).allSatisfy(line -> assertThat(line).startsWith("{").contains("\"rule\""));
    }

    @Test
    void shouldListAFolder() throws IOException {
        try (Stream<Path> files = Files.list(Samples.path("k8s_audit/falco_trace_files"))) {
            assertThat(files.filter(p -> p.toString().endsWith(".json"))).hasSize(47);
        }
        try (Stream<Path> files = Files.list(Samples.path("tetragon/oreilly_book_examples/"))) {
            assertThat(files).hasSize(40);
        }
        try (Stream<Path> rules = Files.walk(Samples.path("sigma/rules"))) {
            assertThat(rules.filter(p -> p.toString().endsWith(".yml"))).hasSize(30);
        }
        try (Stream<Path> constructed = Files.list(Samples.path("k8s_audit/constructed_image_verification"))) {
            assertThat(constructed).hasSize(3);
        }
    }

    @Test
    void shouldNameTheMissingSample() {
        assertThatThrownBy(() -> Samples.path("falco/no_such_file.ndjson"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'falco/no_such_file.ndjson'");
        assertThatThrownBy(() -> Samples.lines("ecs/ecs_fields_full.csv"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'ecs/ecs_fields_full.csv'");
    }

    @Test
    void shouldRefusePathsLeadingOutOfTheRoot() {
        // The locator's own class file sits just above the sample root.
        assertThatThrownBy(() -> Samples.path("../Samples.class")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'../Samples.class' leads out of the sample root");
        assertThatThrownBy(() -> Samples.path("falco/../../Samples.class")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leads out of the sample root");
        assertThat(Samples.path("falco/../trivy/secrets.json.golden")).isRegularFile();
    }

    @Test
    void shouldAttributeEveryFolderInSources() throws IOException {
        String sources = Files.readString(Samples.path("SOURCES.md"), UTF_8);
        try (Stream<Path> folders = Files.list(Samples.root())) {
            List<String> names = folders.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            assertThat(names).containsExactly("container_logs", "falco", "k8s_audit", "k8s_rbac", "policy_reports", "sigma",
                    "tetragon", "trivy", "trivy_compliance");
            assertThat(names).allSatisfy(name -> assertThat(sources).contains("\n## " + name + "/\n"));
        }
        assertThat(sources).contains("Detection Rule License (DRL) 1.1");
    }

    @Test
    void shouldExtractTheWholeTreeFromAJar() throws IOException {
        Map<String, byte[]> expected = tree(Samples.root());
        Path jar = temp.resolve("bulwark-samples.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            put(out, "dev/bulwark/samples/Samples.class", new byte[] {1, 2, 3});
            for (Map.Entry<String, byte[]> file : expected.entrySet()) {
                put(out, Samples.RESOURCE_ROOT + file.getKey(), file.getValue());
            }
        }

        Path extracted = Samples.extract(markerIn(jar));

        assertThat(extracted).isDirectory().isNotEqualTo(Samples.root());
        Map<String, byte[]> actual = tree(extracted);
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        actual.forEach((name, bytes) -> assertThat(bytes).as(name).isEqualTo(expected.get(name)));
        assertThat(extracted.resolve("Samples.class")).doesNotExist();
    }

    @Test
    void shouldRefuseAJarEntryLeadingOutOfTheRoot() throws IOException {
        Path jar = temp.resolve("hostile.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            put(out, Samples.RESOURCE_ROOT + Samples.MARKER, "x".getBytes(UTF_8));
            put(out, Samples.RESOURCE_ROOT + "../../../../../escaped.txt", "x".getBytes(UTF_8));
        }
        assertThatThrownBy(() -> Samples.extract(markerIn(jar))).isInstanceOf(IOException.class)
                .hasMessageContaining("leads out of the sample root");
    }

    private static URL markerIn(Path jar) throws IOException {
        return URI.create("jar:" + jar.toUri() + "!/" + Samples.RESOURCE_ROOT + Samples.MARKER).toURL();
    }

    private static void put(JarOutputStream out, String name, byte[] bytes) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(bytes);
        out.closeEntry();
    }

    /** Every file below {@code root}, by its relative path with {@code /}, and its bytes. */
    private static Map<String, byte[]> tree(Path root) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(path).toString().replace('\\', '/'), Files.readAllBytes(path));
            }
        }
        return files;
    }
}
