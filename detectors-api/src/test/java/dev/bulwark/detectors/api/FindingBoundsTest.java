package dev.bulwark.detectors.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;

class FindingBoundsTest {

    private static final AvroSerde<Finding> SERDE = AvroSerde.of(Finding.class);

    private static Finding shellFinding(String commandLine, String namespace) {
        SecurityEvent event = SecurityEvent.newBuilder().setId("e1").setTimestamp(1_700_000_000_000_000_000L)
                .setSourceFormat("falco").setEvent(EventInfo.newBuilder().setKind("alert").build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace(namespace).setPod("api-1").build())
                .setContainer(ContainerInfo.newBuilder().setId("c1").build())
                .setProcess(ProcessInfo.newBuilder().setName("bash").setCommandLine(commandLine).setTty(34816L).build())
                .build();
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("process.command_line", commandLine);
        evidence.put("kubernetes.namespace", namespace);
        Finding raw = Finding.newBuilder(new FindingBuilder("shell", "1", namespaceName -> null, event)
                .rule("r", "Shell").severity(Severity.HIGH).summary("ran " + commandLine).identity("c1").build()).build();
        // Put back what the builder's own bound cut, to see what the bound does to a finding of any origin.
        raw.setSummary("ran " + commandLine);
        raw.setNamespace(namespace);
        raw.getEvidence().setFields(evidence);
        raw.getEvidence().setTruncated(false);
        return raw;
    }

    @Test
    void aSmallFindingIsLeftAlone() {
        Finding small = shellFinding("bash -i", "payments");
        assertThat(FindingBounds.cap(small)).isSameAs(small);
        assertThat(small.getEvidence().getTruncated()).isFalse();
    }

    @Test
    void aFindingQuotingA900KbCommandLineAndNamespaceFitsTheBoundAndSaysItWasCut() {
        String huge = "x".repeat(900 * 1024);
        Finding finding = shellFinding("bash -c " + huge, "ns-" + huge);
        assertThat(SERDE.serialize("t", finding).length).isGreaterThan(2_700_000);
        for (int bound : new int[] {FindingBounds.MIN_MAX_BYTES, 64 * 1024, FindingBounds.DEFAULT_MAX_BYTES, 900 * 1024}) {
            Finding capped = FindingBounds.cap(finding, bound);
            assertThat(SERDE.serialize("t", capped).length).as("bound %d", bound).isLessThanOrEqualTo(bound);
            assertThat(capped.getEvidence().getTruncated()).isTrue();
            assertThat(capped.getSummary()).startsWith("ran bash -c xxx").endsWith("…");
            assertThat(capped.getNamespace()).startsWith("ns-xxx").endsWith("…");
            assertThat(capped.getId()).isEqualTo(finding.getId());
            assertThat(capped.getRule()).isEqualTo(finding.getRule());
        }
    }

    @Test
    void manyFieldsAndEventIdsAreShortenedAndTheFlagSurvivesAnotherPass() {
        Finding finding = shellFinding("bash", "payments");
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < 5000; i++) {
            fields.put("field." + i, "v".repeat(200));
        }
        finding.getEvidence().setFields(fields);
        finding.getEvidence().setEventIds(java.util.stream.IntStream.range(0, 5000).mapToObj(i -> "event-" + i).toList());
        Finding capped = FindingBounds.cap(finding, 64 * 1024);
        assertThat(SERDE.serialize("t", capped).length).isLessThanOrEqualTo(64 * 1024);
        assertThat(capped.getEvidence().getFields()).hasSizeLessThanOrEqualTo(64).containsKey("field.0");
        assertThat(capped.getEvidence().getEventIds()).hasSizeLessThanOrEqualTo(100).startsWith("event-0");
        assertThat(FindingBounds.cap(capped, 64 * 1024).getEvidence().getTruncated()).isTrue();
    }

    @Test
    void aSurrogatePairIsNeverSplit() {
        String emoji = "\uD83D\uDE00";
        Finding finding = shellFinding(emoji.repeat(100_000), "payments");
        Finding capped = FindingBounds.cap(finding, FindingBounds.MIN_MAX_BYTES);
        String summary = capped.getSummary();
        char beforeEllipsis = summary.charAt(summary.length() - 2);
        assertThat(Character.isHighSurrogate(beforeEllipsis)).isFalse();
    }

    @Test
    void theBoundHasAFloor() {
        assertThatThrownBy(() -> FindingBounds.cap(shellFinding("bash", "p"), 1024)).hasMessageContaining("at least");
    }
}
