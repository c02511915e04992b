package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.DeadLetter;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

/**
 * Every input format, from the real public samples, through the real broker: the ledger balances, what arrives on the
 * topics decodes, and the normalized fields are the ones the sources carry.
 */
class SourceFormatsIngestIT {

    @TempDir
    Path temp;

    private static List<Path> sampleFiles(String dir) throws Exception {
        try (Stream<Path> files = Files.list(Samples.path(dir))) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    @Test
    void tetragonExportLinesAndPrettyPrintedBookExamples() throws Exception {
        BrokerIngest broker = BrokerIngest.create("tetragon");
        List<Path> files = new ArrayList<>(List.of(Samples.path("tetragon/tetragon_docs_events.ndjson"),
                Samples.path("tetragon/testdata_events.ndjson")));
        files.addAll(sampleFiles("tetragon/oreilly_book_examples"));
        IngestStats stats = broker.ingest("tetragon", files);

        assertThat(stats.balanced()).isTrue();
        assertThat(stats.recordsIn()).isEqualTo(18 + 3 + 40);
        assertThat(stats.deadLettered()).isZero();
        List<SecurityEvent> events = broker.events(stats.eventsOut());
        assertThat(events).hasSize((int) stats.eventsOut());
        SecurityEvent curl = events.stream().filter(e -> e.getProcess() != null
                && "/usr/bin/curl https://ebpf.io/applications/#tetragon".equals(e.getProcess().getCommandLine()))
                .findFirst().orElseThrow();
        assertThat(curl.getSourceFormat()).isEqualTo("tetragon");
        assertThat(curl.getEvent().getDataset()).isEqualTo("tetragon.process_exec");
        assertThat(curl.getContainer().getId()).isEqualTo("551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3");
        assertThat(curl.getContainer().getRuntime()).isEqualTo("containerd");
        assertThat(curl.getKubernetes().getNamespace()).isEqualTo("default");
        assertThat(curl.getKubernetes().getPod()).isEqualTo("xwing");
        assertThat(curl.getTimestamp() % 1_000_000_000L).as("nanosecond precision kept").isNotZero();
        assertThat(events).anySatisfy(e -> assertThat(e.getEvent().getDataset()).isEqualTo("tetragon.process_kprobe"))
                .anySatisfy(e -> assertThat(e.getEvent().getDataset()).isEqualTo("tetragon.process_exit"))
                .anySatisfy(e -> assertThat(e.getFile()).isNotNull());
    }

    @Test
    void kubernetesAuditTraceFilesWithTheMalformedOneDeadLettered() throws Exception {
        BrokerIngest broker = BrokerIngest.create("k8saudit");
        List<Path> files = sampleFiles("k8s_audit/falco_trace_files");
        assertThat(files).hasSize(47);
        IngestStats stats = broker.ingest("k8s-audit", files);

        assertThat(stats.balanced()).isTrue();
        assertThat(stats.deadLettered()).isEqualTo(1);
        List<DeadLetter> letters = broker.deadLetters(1);
        assertThat(letters).singleElement().satisfies(letter -> {
            assertThat(letter.getOrigin()).contains("fal_01_003.json");
            assertThat(letter.getError()).contains("'kind' must be \"Event\" or \"EventList\"");
            assertThat(letter.getOriginal().remaining()).isPositive();
        });
        List<SecurityEvent> events = broker.events(stats.eventsOut());
        assertThat(events).hasSize((int) stats.eventsOut());
        SecurityEvent exec = events.stream().filter(e -> "ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6".equals(
                e.getKubernetesAudit().getAuditId()) && "exec".equals(e.getKubernetesAudit().getSubresource()))
                .findFirst().orElseThrow();
        assertThat(exec.getKubernetesAudit().getVerb()).isEqualTo("create");
        assertThat(exec.getKubernetesAudit().getResource()).isEqualTo("pods");
        assertThat(exec.getKubernetesAudit().getObjectNamespace()).isEqualTo("default");
        assertThat(exec.getKubernetesAudit().getObjectName()).isEqualTo("nginx-deployment-7998647bdf-phvq7");
        assertThat(exec.getKubernetesAudit().getDecision()).isEqualTo("allow");
        assertThat(exec.getKubernetesAudit().getSubjectUser()).isNotBlank();
        assertThat(exec.getKubernetesAudit().getSourceIps()).isNotEmpty();
        assertThat(events).as("a privileged pod's creation").anySatisfy(e -> {
            assertThat(e.getKubernetes()).isNotNull();
            assertThat(e.getKubernetes().getPodSpec()).isNotNull();
            assertThat(e.getKubernetes().getPodSpec().getPrivileged()).isTrue();
        });
    }

    @Test
    void criLogsJoinPartialLinesAndTakeMetadataFromTheFileName() throws Exception {
        BrokerIngest broker = BrokerIngest.create("cri");
        String id = "0123456789abcdef".repeat(4);
        Path dir = Files.createDirectories(temp.resolve("var/log/containers"));
        Path file = Files.copy(Samples.path("container_logs/cri_log_lines.log"),
                dir.resolve("web-7d9c5_payments_nginx-" + id + ".log"));
        IngestStats stats = broker.ingest("cri", List.of(file));

        assertThat(stats.balanced()).isTrue();
        List<SecurityEvent> events = broker.events(stats.eventsOut());
        assertThat(events).hasSize((int) stats.eventsOut()).isNotEmpty();
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getKubernetes().getNamespace()).isEqualTo("payments");
            assertThat(e.getKubernetes().getPod()).isEqualTo("web-7d9c5");
            assertThat(e.getContainer().getId()).isEqualTo(id);
            assertThat(e.getLog().getStream()).isIn("stdout", "stderr");
        });
        SecurityEvent joined = events.stream().filter(e -> e.getLog().getMessage()
                .startsWith("cri stdout partial test log")).findFirst().orElseThrow();
        assertThat(joined.getLog().getMessage()).contains("cri stdout partial test logcri stdout partial test log");
        assertThat(joined.getTimestamp()).isEqualTo(1_476_988_760_576_064_430L);
        assertThat(stats.deadLettered()).isEqualTo(broker.deadLetters(stats.deadLettered()).size());
    }

    @Test
    void dockerJsonFileLinesWithPartialsJoinedAndTheLineWithoutTimeDeadLettered() throws Exception {
        BrokerIngest broker = BrokerIngest.create("docker");
        Path file = Files.copy(Samples.path("container_logs/docker_json_file_lines.log"), temp.resolve("app-json.log"));
        IngestStats stats = broker.ingest("docker", List.of(file));

        assertThat(stats.balanced()).isTrue();
        List<SecurityEvent> events = broker.events(stats.eventsOut());
        assertThat(events).extracting(e -> e.getLog().getMessage())
                .contains("1:M 09 Nov 13:27:36.276 # User requested shutdown...\n".strip())
                .anySatisfy(m -> assertThat(m).startsWith("1:M 09 Nov 13:27:36.276 # User requested shutdown"));
        List<DeadLetter> letters = broker.deadLetters(stats.deadLettered());
        assertThat(letters).hasSize((int) stats.deadLettered());
        assertThat(letters).anySatisfy(l -> assertThat(l.getError()).contains("time"));
    }

    @Test
    void trivyReportsBecomeOneEventPerFinding() throws Exception {
        BrokerIngest broker = BrokerIngest.create("trivy");
        List<Path> files;
        try (Stream<Path> list = Files.list(Samples.path("trivy"))) {
            files = list.filter(p -> p.toString().endsWith(".golden")).sorted().toList();
        }
        IngestStats stats = broker.ingest("trivy", files);

        assertThat(stats.balanced()).isTrue();
        assertThat(stats.recordsIn()).isEqualTo(4);
        assertThat(stats.eventsOut()).isEqualTo(4 + 2 + 2 + 1);
        List<SecurityEvent> events = broker.events(stats.eventsOut());
        SecurityEvent spring = events.stream().filter(e -> e.getVulnerability() != null
                && "CVE-2022-22965".equals(e.getVulnerability().getId())).findFirst().orElseThrow();
        assertThat(spring.getVulnerability().getSeverity()).isEqualTo("CRITICAL");
        assertThat(spring.getVulnerability().getFixedVersion()).isEqualTo("5.3.18");
        assertThat(spring.getContainer().getImageTag()).isEqualTo("spring4shell-jre11");
        assertThat(spring.getContainer().getImageDigest()).startsWith("sha256:");
        assertThat(spring.getEvent().getSeverity()).isEqualTo(90);
    }

    @Test
    void kubernetesObjectsBecomeCompactedTenantContextAndDeletionsTombstones() throws Exception {
        BrokerIngest broker = BrokerIngest.create("k8sobjects");
        List<Path> files = new ArrayList<>(sampleFiles("k8s_rbac"));
        Path deletions = temp.resolve("watch.json");
        Files.writeString(deletions, """
                {"type":"DELETED","object":{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo"}}}
                """);
        files.add(deletions);
        IngestStats stats = broker.ingest("k8s-objects", files);

        assertThat(stats.balanced()).isTrue();
        assertThat(stats.deadLettered()).isZero();
        List<ConsumerRecord<String, byte[]>> records = broker.context(stats.contextUpdatesOut());
        assertThat(records).hasSize((int) stats.contextUpdatesOut());
        Map<String, TenantContext> latest = new java.util.HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            latest.put(record.key(), record.value() == null ? null
                    : broker.topics.context().valueSerde().deserializer().deserialize(record.topic(), record.value()));
        }
        assertThat(latest.get("namespace/solar-production").getTenant()).isEqualTo("solar");
        assertThat(latest).containsKey("namespace/foo");
        assertThat(latest.get("namespace/foo")).as("the watch DELETED event is a tombstone").isNull();
        TenantContext binding = latest.get("rolebinding/development/read-secrets");
        assertThat(binding.getSubjects()).isNotEmpty();
        assertThat(binding.getGrants()).singleElement().satisfies(g -> {
            assertThat(g.getRole()).isEqualTo("ClusterRole:secret-reader");
            assertThat(g.getNamespace()).isEqualTo("development");
        });
        assertThat(latest.get("clusterrolebinding/read-secrets-global").getGrants().get(0).getNamespace()).isNull();
    }

    @Test
    void autoDetectsEachRecordOfAMixedStream() throws Exception {
        BrokerIngest broker = BrokerIngest.create("auto");
        Path mixed = temp.resolve("mixed.ndjson");
        List<String> lines = new ArrayList<>();
        lines.add(Samples.lines("falco/falco_alerts_real.ndjson").get(0));
        lines.add(Samples.lines("tetragon/tetragon_docs_events.ndjson").get(0));
        lines.add(Samples.lines("k8s_audit/k8s_audit_selected.ndjson").get(0));
        lines.add("2016-10-20T18:39:20.57606443Z stdout F cri stdout test log");
        lines.add(Files.readString(Samples.path("k8s_rbac/capsule_namespace_solar-production.json")));
        lines.add(Files.readString(Samples.path("trivy/spring4shell-jre11.json.golden")));
        lines.add("this is not any known format");
        Files.writeString(mixed, String.join("\n", lines) + "\n");
        IngestStats stats = broker.ingest("auto", List.of(mixed));

        assertThat(stats.balanced()).isTrue();
        assertThat(stats.recordsIn()).isEqualTo(7);
        assertThat(stats.deadLettered()).isEqualTo(1);
        assertThat(stats.contextUpdatesOut()).isEqualTo(1);
        List<SecurityEvent> events = broker.events(stats.eventsOut());
        assertThat(events.stream().map(SecurityEvent::getSourceFormat).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("falco", "tetragon", "k8s-audit", "cri", "trivy");
        assertThat(broker.deadLetters(1)).singleElement()
                .satisfies(l -> assertThat(l.getError()).contains("not JSON and not a CRI log line"));
    }

    @Test
    void hostileInputIsAccountedForRecordByRecordWithTheOriginalBytes() throws Exception {
        BrokerIngest broker = BrokerIngest.create("hostile");
        Path file = temp.resolve("hostile.ndjson");
        String good = Samples.lines("tetragon/tetragon_docs_events.ndjson").get(0);
        byte[] invalidUtf8 = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        try (var out = Files.newOutputStream(file)) {
            out.write((good + "\n").getBytes(StandardCharsets.UTF_8));
            out.write(invalidUtf8);
            out.write('\n');
            out.write(("{\"process_exec\":" + "[".repeat(5000) + "\n").getBytes(StandardCharsets.UTF_8));
            out.write("{\"process_exec\":{\"process\":{\"pid\":\"abc\"}},\"time\":\"2024-01-01T00:00:00Z\"}\n".getBytes(StandardCharsets.UTF_8));
            out.write(("{\"process_exec\":\"" + "A".repeat(2 << 20) + "\"}\n").getBytes(StandardCharsets.UTF_8));
            out.write("{\"process_exit\":{\"process\":{\"binary\":\"/bin/sh\"}}\n".getBytes(StandardCharsets.UTF_8));
            out.write((good + "\n").getBytes(StandardCharsets.UTF_8));
        }
        IngestStats stats = broker.ingest("tetragon", List.of(file));

        assertThat(stats.recordsIn()).isEqualTo(7);
        assertThat(stats.recordsNormalized()).isEqualTo(2);
        assertThat(stats.deadLettered()).isEqualTo(5);
        assertThat(stats.balanced()).isTrue();
        assertThat(broker.events(2)).hasSize(2);
        List<DeadLetter> letters = broker.deadLetters(5);
        assertThat(letters).hasSize(5);
        assertThat(letters).allSatisfy(l -> {
            assertThat(l.getError()).isNotBlank();
            assertThat(l.getOriginal().remaining()).isPositive();
        });
        assertThat(letters).anySatisfy(l -> assertThat(l.getTruncated()).isTrue());
        DeadLetter utf8 = letters.stream().filter(l -> l.getOrigin().endsWith(":2")).findFirst().orElseThrow();
        byte[] original = new byte[utf8.getOriginal().remaining()];
        utf8.getOriginal().duplicate().get(original);
        assertThat(original).as("the original bytes, not a re-encoding").isEqualTo(invalidUtf8);
    }
}
