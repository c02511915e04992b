package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.SecurityEvent;

class EventTimePolicyTest {

    static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    /** A Falco terminal-shell alert at {@code time}, in container {@code id}. */
    static String alert(String id, Instant time) {
        return ("{\"output\":\"A shell was spawned\",\"priority\":\"Critical\",\"rule\":\"Terminal shell in container\","
                + "\"source\":\"syscall\",\"time\":\"%s\",\"output_fields\":{\"container.id\":\"%s\",\"proc.name\":\"bash\","
                + "\"proc.tty\":34816,\"k8s.ns.name\":\"payments\",\"k8s.pod.name\":\"api-1\"}}").formatted(time, id);
    }

    /** 30 alerts from 1972 to 2210, and one from an hour ago. */
    static byte[] spreadOverCenturies() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            lines.add(alert("c" + i, Instant.parse("1972-01-01T00:00:00Z").plus(Duration.ofDays(i * 8 * 365L + i))));
        }
        lines.add(alert("recent", NOW.minus(Duration.ofHours(1))));
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void timesBeyondTheBoundsAreClampedToNowWithTheOriginalKept() {
        var policy = new EventTimePolicy(Duration.ofMinutes(10), Duration.ofDays(30), false, CLOCK);
        var result = InMemoryIngest.run(spreadOverCenturies(), "alerts", Parsers.forFormat("falco"), policy);
        assertThat(result.recordsIn()).isEqualTo(31);
        assertThat(result.deadLetters()).isEmpty();
        assertThat(result.events()).hasSize(31);
        long nowNanos = NOW.getEpochSecond() * 1_000_000_000L;
        List<SecurityEvent> clamped = result.events().stream().filter(e -> e.getAttributes().containsKey(EventTimePolicy.CLAMPED)).toList();
        assertThat(clamped).hasSize(30).allSatisfy(e -> {
            assertThat(e.getTimestamp()).isEqualTo(nowNanos);
            assertThat(e.getAttributes().get(EventTimePolicy.CLAMPED)).isIn("past", "future");
            assertThat(e.getAttributes().get(EventTimePolicy.ORIGINAL)).matches("(19|20|21|22)\\d\\d-.*Z");
        });
        assertThat(clamped).filteredOn(e -> "future".equals(e.getAttributes().get(EventTimePolicy.CLAMPED)))
                .extracting(e -> e.getAttributes().get(EventTimePolicy.ORIGINAL)).allMatch(t -> t.compareTo("2026-12-07") > 0);
        SecurityEvent recent = result.events().stream().filter(e -> !e.getAttributes().containsKey(EventTimePolicy.CLAMPED))
                .findFirst().orElseThrow();
        assertThat(Instant.ofEpochSecond(0, recent.getTimestamp())).isEqualTo(NOW.minus(Duration.ofHours(1)));
    }

    @Test
    void orDeadLetteredWithTheReasonWhenSoConfigured() {
        var policy = new EventTimePolicy(Duration.ofMinutes(10), Duration.ofDays(30), true, CLOCK);
        var result = InMemoryIngest.run(spreadOverCenturies(), "alerts", Parsers.forFormat("falco"), policy);
        assertThat(result.recordsIn()).isEqualTo(31);
        assertThat(result.events()).hasSize(1);
        assertThat(result.deadLetters()).hasSize(30).allSatisfy(letter -> assertThat(letter.getError())
                .containsPattern("event time \\d{4}-.* is more than (10m in the future|30d in the past)"));
    }

    @Test
    void withoutBoundsEveryTimeIsKept() {
        var result = InMemoryIngest.run(spreadOverCenturies(), "alerts", Parsers.forFormat("falco"));
        assertThat(result.events()).hasSize(31).noneMatch(e -> e.getAttributes().containsKey(EventTimePolicy.CLAMPED));
    }
}
