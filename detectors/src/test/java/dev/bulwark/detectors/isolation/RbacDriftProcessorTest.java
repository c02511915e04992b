package dev.bulwark.detectors.isolation;

import static dev.bulwark.detectors.ProcessorTests.forwarded;
import static dev.bulwark.detectors.TestDirectory.namespace;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.ProcessorTests;
import dev.bulwark.detectors.StateSerde;
import dev.bulwark.detectors.TestDirectory;
import dev.bulwark.detectors.state.NamespaceTenant;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.RoleGrant;
import dev.bulwark.schemas.Subject;
import dev.bulwark.schemas.TenantContext;

/**
 * {@link RbacDriftProcessor} driven record by record and punctuator by punctuator: bindings waiting for context, the
 * bound on waiting, and namespace moves owed across a restart.
 */
class RbacDriftProcessorTest {

    static final String STORE = "rbac-drift-namespace-tenants";
    static final Duration WAIT = Duration.ofSeconds(10);

    final TestDirectory directory = new TestDirectory();
    MockProcessorContext<String, Finding> context = new MockProcessorContext<>();
    final KeyValueStore<String, NamespaceTenant> store = ProcessorTests.store(context, STORE, Serdes.String(),
            StateSerde.namespaceTenants());

    RbacDriftProcessor processor(int maxWaiting) {
        RbacDriftProcessor processor = new RbacDriftProcessor(STORE, processorContext -> directory.directory(),
                ProcessorTests.findings("rbac-drift"), WAIT, maxWaiting);
        processor.init(context);
        return processor;
    }

    /** The next instance after a restart: a fresh context over the same (restored) store. */
    RbacDriftProcessor restarted() {
        context = new MockProcessorContext<>();
        context.addStateStore(store);
        return processor(100);
    }

    void punctuate(long wallClockMs) {
        ProcessorTests.punctuator(context, PunctuationType.WALL_CLOCK_TIME).getPunctuator().punctuate(wallClockMs);
    }

    static Subject serviceAccount(String namespace, String name) {
        return Subject.newBuilder().setKind("ServiceAccount").setNamespace(namespace).setName(name).build();
    }

    static TenantContext roleBinding(String namespace, String name, Subject... subjects) {
        return TenantContext.newBuilder().setKind("rolebinding").setKey(namespace + "/" + name).setNamespace(namespace)
                .setName(name).setSubjects(List.of(subjects))
                .setGrants(List.of(RoleGrant.newBuilder().setRole("ClusterRole:view").setNamespace(namespace).build()))
                .setObservedAt(1_000).build();
    }

    static Record<String, TenantContext> record(TenantContext object) {
        return new Record<>(object.getKind() + "/" + object.getKey(), object, object.getObservedAt());
    }

    @Test
    void itChecksEveryHalfSecondOfWallClockTime() {
        processor(100);
        var punctuator = ProcessorTests.punctuator(context, PunctuationType.WALL_CLOCK_TIME);
        assertThat(punctuator.getInterval()).isEqualTo(RbacDriftProcessor.RECHECK_INTERVAL).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void aBindingWaitsForItsNamespacesAndIsJudgedOnceWhenTheyAppear() {
        directory.put(namespace("ledger", "globex", 1));
        RbacDriftProcessor processor = processor(100);
        context.setCurrentSystemTimeMs(1_000);

        processor.process(record(roleBinding("shop", "helpers", serviceAccount("ledger", "ci"))));
        assertThat(context.forwarded()).as("shop is not known yet").isEmpty();
        assertThat(processor.waiting()).isEqualTo(1);

        punctuate(1_500);
        assertThat(context.forwarded()).as("still not known").isEmpty();

        directory.put(namespace("shop", "acme", 2));
        punctuate(2_000);
        assertThat(forwarded(context)).singleElement().satisfies(f -> {
            assertThat(f.getRule().getId()).isEqualTo(RbacDriftDetector.CROSS_TENANT_RULE);
            assertThat(f.getTenant()).isEqualTo("acme");
            assertThat(f.getOtherTenants()).containsExactly("globex");
        });
        assertThat(processor.waiting()).isZero();

        punctuate(2_500);
        assertThat(context.forwarded()).as("judged once").hasSize(1);
    }

    @Test
    void aBindingWhoseNamespacesNeverAppearIsJudgedAfterTheWait() {
        directory.put(namespace("ledger", "globex", 1)).put(namespace("shop", "acme", 1));
        RbacDriftProcessor processor = processor(100);
        context.setCurrentSystemTimeMs(1_000);

        processor.process(record(roleBinding("shop", "helpers", serviceAccount("ledger", "ci"),
                serviceAccount("ghost", "nobody"))));
        punctuate(1_000 + WAIT.toMillis() - 1);
        assertThat(context.forwarded()).as("ghost may still come").isEmpty();

        punctuate(1_000 + WAIT.toMillis());
        assertThat(forwarded(context)).as("judged with what is known: ci of globex; nobody's tenant is unknown")
                .singleElement().satisfies(f -> assertThat(f.getEvidence().getFields()).containsEntry("subject.name", "ci"));
        assertThat(processor.waiting()).isZero();
    }

    @Test
    void beyondTheBoundBindingsAreJudgedAtOnce() {
        directory.put(namespace("ledger", "globex", 1)).put(namespace("shop", "acme", 1));
        RbacDriftProcessor processor = processor(1);
        context.setCurrentSystemTimeMs(1_000);

        processor.process(record(roleBinding("shop", "first", serviceAccount("ledger", "ci"), serviceAccount("ghost", "a"))));
        assertThat(context.forwarded()).isEmpty();
        processor.process(record(roleBinding("shop", "second", serviceAccount("ledger", "ci"), serviceAccount("ghost", "b"))));

        assertThat(processor.waiting()).as("the bound").isEqualTo(1);
        assertThat(forwarded(context)).as("the second binding, judged without waiting").singleElement()
                .satisfies(f -> assertThat(f.getEvidence().getFields()).containsEntry("binding.name", "second"));
    }

    @Test
    void aMoveOwedWhenTheProcessorStopsIsReJudgedByTheNextInstance() {
        TenantContext helpers = roleBinding("shop", "helpers", serviceAccount("ledger", "ci"));
        directory.put(namespace("ledger", "globex", 1)).put(namespace("shop", "globex", 1)).put(helpers);
        RbacDriftProcessor first = processor(100);
        first.process(record(namespace("shop", "globex", 1)));
        first.process(record(helpers));
        assertThat(context.forwarded()).as("within one tenant").isEmpty();
        assertThat(store.get("shop")).isEqualTo(NamespaceTenant.newBuilder().setTenant("globex").setMovedAt(0).build());

        // shop moves to acme; the directory (another thread) has not caught up when the application stops.
        context.setCurrentSystemTimeMs(5_000);
        first.process(record(namespace("shop", "acme", 5)));
        assertThat(first.owedMoves()).containsExactly("shop");
        assertThat(store.get("shop").getMovedAt()).isEqualTo(5_000);

        RbacDriftProcessor second = restarted();
        assertThat(second.owedMoves()).as("picked up from the store").containsExactly("shop");
        punctuate(5_100);
        assertThat(context.forwarded()).as("the directory does not show the move yet").isEmpty();

        directory.put(namespace("shop", "acme", 5));
        punctuate(5_200);
        assertThat(forwarded(context)).singleElement().satisfies(f -> {
            assertThat(f.getRule().getId()).isEqualTo(RbacDriftDetector.CROSS_TENANT_RULE);
            assertThat(f.getTenant()).isEqualTo("acme");
            assertThat(f.getOtherTenants()).containsExactly("globex");
        });
        assertThat(second.owedMoves()).isEmpty();
        assertThat(store.get("shop")).isEqualTo(NamespaceTenant.newBuilder().setTenant("acme").setMovedAt(0).build());

        assertThat(restarted().owedMoves()).as("nothing owed after settling").isEmpty();
        punctuate(6_000);
        assertThat(context.forwarded()).isEmpty();
    }

    @Test
    void aMoveTheDirectoryNeverShowsIsSettledAfterTheWait() {
        directory.put(namespace("shop", "globex", 1));
        RbacDriftProcessor processor = processor(100);
        processor.process(record(namespace("shop", "globex", 1)));
        context.setCurrentSystemTimeMs(5_000);
        processor.process(record(namespace("shop", "acme", 5)));

        punctuate(5_000 + WAIT.toMillis() - 1);
        assertThat(processor.owedMoves()).containsExactly("shop");
        punctuate(5_000 + WAIT.toMillis());
        assertThat(processor.owedMoves()).isEmpty();
        assertThat(store.get("shop")).isEqualTo(NamespaceTenant.newBuilder().setTenant("acme").setMovedAt(0).build());
    }

    @Test
    void aNamespaceSeenForTheFirstTimeIsNotAMoveAndADeletedOneIsForgotten() {
        RbacDriftProcessor processor = processor(100);
        processor.process(record(namespace("shop", "acme", 1)));
        assertThat(processor.owedMoves()).isEmpty();
        assertThat(store.get("shop").getTenant()).isEqualTo("acme");

        context.setCurrentSystemTimeMs(5_000);
        processor.process(record(namespace("shop", "globex", 5)));
        assertThat(processor.owedMoves()).containsExactly("shop");

        processor.process(new Record<>("namespace/shop", null, 6));
        assertThat(processor.owedMoves()).isEmpty();
        assertThat(store.get("shop")).isNull();
        assertThat(restarted().owedMoves()).isEmpty();
    }
}
