package dev.bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void parsesOneFormat() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse(" 10m ")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("1d2h3m4s5ms")).isEqualTo(Duration.parse("P1DT2H3M4.005S"));
    }

    @Test
    void refusesEverythingElseSayingWhatToWrite() {
        for (String bad : new String[] {"", "10", "m", "10 m", "1.5h", "-1s", "10M", "30m1h", "1m1m", "1w"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a duration");
        }
        assertThatThrownBy(() -> Durations.parse("P7D")).hasMessageContaining("write 7d");
        assertThatThrownBy(() -> Durations.parse("PT10M")).hasMessageContaining("write 10m");
    }

    @Test
    void formatIsTheShortestInverseOfParse() {
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.format(Duration.ofHours(48))).isEqualTo("2d");
        for (int i = 0; i < 10_000; i++) {
            Duration d = Duration.ofMillis(ThreadLocalRandom.current().nextLong(0, 400L * 86_400_000L));
            assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
        }
    }
}
