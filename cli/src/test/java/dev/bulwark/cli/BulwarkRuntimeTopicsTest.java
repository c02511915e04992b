package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/** A component running as its own Kafka user leaves topic creation to the admin instead of failing its start. */
class BulwarkRuntimeTopicsTest {

    @Test
    void topicsTheUserMayNotCreateAreLeftToTheAdmin() throws Exception {
        assertThat(BulwarkRuntime.createTopicsWhereAllowed(() -> { }, "bulwark-sink")).isTrue();
        // What KafkaClients.ensureTopics throws when the sink's user tries to create bulwark.events, which it cannot see.
        assertThat(BulwarkRuntime.createTopicsWhereAllowed(() -> {
            throw new IllegalStateException("the Kafka user bulwark-sink may not see or create Bulwark's topics",
                    new TopicAuthorizationException(java.util.Set.of("bulwark.events")));
        }, "bulwark-sink")).isFalse();
    }

    @Test
    void anyOtherFailureStillStopsTheStart() {
        assertThatThrownBy(() -> BulwarkRuntime.createTopicsWhereAllowed(() -> {
            throw new IllegalStateException("cannot create Kafka topics: no answer from the broker within 30 s",
                    new TimeoutException("timed out"));
        }, "bulwark-sink")).hasMessageContaining("no answer from the broker");
    }
}
