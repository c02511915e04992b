package dev.bulwark.sigma;

import static dev.bulwark.sigma.ProcessorTestSupport.contents;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The global processor of the rules topic: at init the restored store replaces whatever the rule source held from the
 * topic, then each record updates store and source together; a tombstone deletes from both.
 */
class RulesTopicProcessorTest {

    static final String WHOAMI_KEY = "11111111-0000-4000-8000-000000000001";
    static final String ID_KEY = "11111111-0000-4000-8000-000000000002";

    private final SigmaEngine engine = SigmaEngine.create();
    private final RuleSource source = RuleSource.of(engine, ParsedRules.empty());
    private MockProcessorContext<Void, Void> context;
    private KeyValueStore<String, String> store;

    @BeforeEach
    void setUp() {
        context = ProcessorTestSupport.context(0);
        store = ProcessorTestSupport.store(context, "sigma-rules", Serdes.String(), Serdes.String());
    }

    private RulesTopicProcessor start() {
        RulesTopicProcessor processor = new RulesTopicProcessor(source, "sigma-rules");
        processor.init(context);
        return processor;
    }

    private List<String> ruleNames() {
        return source.current().ruleSet().rules().stream().map(r -> r.rule().title()).sorted().toList();
    }

    @Test
    void initHandsTheRestoredStoreToTheRuleSourceReplacingWhatItHeld() {
        source.put("stale", SigmaDetectorTest.ID); // from before a rebalance; no longer on the topic
        store.put(WHOAMI_KEY, SigmaDetectorTest.WHOAMI); // restored from the topic without the processor

        start();

        assertThat(ruleNames()).containsExactly("Whoami run");
        assertThat(source.current().records()).isEqualTo(1);
    }

    @Test
    void eachRecordUpdatesStoreAndRuleSourceAndATombstoneDeletesFromBoth() {
        RulesTopicProcessor processor = start();
        assertThat(ruleNames()).isEmpty();

        processor.process(new Record<>(WHOAMI_KEY, SigmaDetectorTest.WHOAMI, 1L));
        processor.process(new Record<>(ID_KEY, SigmaDetectorTest.ID, 2L));
        assertThat(ruleNames()).containsExactly("Id run", "Whoami run");
        assertThat(contents(store)).extracting(kv -> kv.key).containsExactly(WHOAMI_KEY, ID_KEY);

        String changed = SigmaDetectorTest.WHOAMI.replace("title: Whoami run", "title: Tuned");
        processor.process(new Record<>(WHOAMI_KEY, changed, 3L));
        assertThat(store.get(WHOAMI_KEY)).isEqualTo(changed);
        assertThat(ruleNames()).containsExactly("Id run", "Tuned");

        processor.process(new Record<>(ID_KEY, null, 4L));
        assertThat(store.get(ID_KEY)).isNull();
        assertThat(ruleNames()).containsExactly("Tuned");
    }

    @Test
    void aRecordWithoutKeyIsIgnored() {
        RulesTopicProcessor processor = start();
        long version = source.version();

        processor.process(new Record<>(null, SigmaDetectorTest.WHOAMI, 1L));

        assertThat(source.version()).isEqualTo(version);
        assertThat(contents(store)).isEmpty();
        assertThat(context.forwarded()).isEmpty();
    }
}
