package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.Test;

/** {@link FirstSeenFilter}: what passes, and what its bounded memory forgets. */
class FirstSeenFilterTest {

    final MockProcessorContext<String, String> mock = new MockProcessorContext<>();

    FirstSeenFilter<String> filter(int capacity) {
        FirstSeenFilter<String> filter = new FirstSeenFilter<>(capacity, value -> value.startsWith("-") ? null : value);
        filter.init(new MockFixedKeyProcessorContext<>(mock));
        return filter;
    }

    void send(FirstSeenFilter<String> filter, String... values) {
        for (String value : values) {
            filter.process(MockFixedKeyProcessorContext.record("k", value, 0));
        }
    }

    java.util.List<String> passed() {
        return mock.forwarded().stream().map(f -> (String) f.record().value()).toList();
    }

    @Test
    void onlyTheFirstRecordOfASignaturePassesAndNoSignatureAlwaysPasses() {
        FirstSeenFilter<String> filter = filter(10);
        send(filter, "a", "b", "a", "-x", "-x", "b");
        assertThat(passed()).containsExactly("a", "b", "-x", "-x");
    }

    @Test
    void theLeastRecentlySeenSignatureIsForgottenBeyondTheCapacity() {
        FirstSeenFilter<String> filter = filter(2);
        send(filter, "a", "b", "a", "c");   // a was seen again after b, so b is the one forgotten for c
        send(filter, "a", "b");
        assertThat(passed()).containsExactly("a", "b", "c", "b");
    }

    @Test
    void aNewInstanceRemembersNothing() {
        send(filter(10), "a");
        send(filter(10), "a");
        assertThat(passed()).as("in memory only: a restart lets it pass again").containsExactly("a", "a");
    }
}
