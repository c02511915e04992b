package dev.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void namesEveryTopicUnderThePrefixAndCompactsTheTables() {
        Topics topics = Topics.withPrefix("acme.");
        assertThat(topics.all()).extracting(Topic::name)
                .containsExactly("acme.events", "acme.context", "acme.context-directory",
                        "acme.context-history", "acme.exec-sessions", "acme.rules", "acme.findings", "acme.dlq",
                        "acme.compliance", "acme.rule-overrides", "acme.rule-stats", "acme.entity-risk",
                        "acme.incidents");
        assertThat(topics.context().configs()).containsEntry("cleanup.policy", "compact");
        assertThat(topics.ruleOverrides().configs()).containsEntry("cleanup.policy", "compact");
        assertThat(topics.rules().configs()).containsEntry("cleanup.policy", "compact");
        assertThat(topics.events().configs()).doesNotContainKey("cleanup.policy");
        assertThat(topics.contextHistory().configs()).as("retained by time, like the events")
                .doesNotContainKey("cleanup.policy");
    }

    @Test
    void rejectsAPrefixThatIsNotATopicName() {
        assertThatThrownBy(() -> Topics.withPrefix("bad prefix/")).hasMessageContaining("topic prefix");
    }

    @Test
    void deadLettersKeepABoundedCopyOfHugeOriginals() {
        byte[] huge = new byte[DeadLetters.MAX_ORIGINAL_BYTES + 10];
        DeadLetter letter = DeadLetters.of(huge, "falco", "f:1", "ingest", "too big");
        assertThat(letter.getTruncated()).isTrue();
        assertThat(letter.getOriginalSize()).isEqualTo(huge.length);
        assertThat(letter.getOriginal().remaining()).isEqualTo(DeadLetters.MAX_ORIGINAL_BYTES);
    }

    @Test
    void idsAreDeterministicAndSeparatePartsUnambiguously() {
        assertThat(Ids.of("a", "bc")).isEqualTo(Ids.of("a", "bc"));
        assertThat(Ids.of("a", "bc")).isNotEqualTo(Ids.of("ab", "c"));
        assertThat(Ids.of("a", null)).isNotEqualTo(Ids.of("a", "null"));
    }
}
