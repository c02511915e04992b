package dev.bulwark.detectors;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.detection.ContextDirectoryUpdater;
import dev.bulwark.detection.ContextTenantDirectory;
import dev.bulwark.detection.TenantResolver;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.TenantContext;

/**
 * The production tenant directory over an in-memory store, fed object by object, for processor unit tests.
 *
 * <p>Why the real one: the detectors' processors depend on its answers (a namespace known or not, a group's tenant by
 * its earlier bindings), and a fake would have to copy them. Objects go in with {@link #put}, as the context topic
 * would bring them; the processor under test sees them at its next lookup, as it sees the global store.
 */
public final class TestDirectory {

    private final ContextDirectoryUpdater updater = new ContextDirectoryUpdater("tenant-directory");
    private final TenantDirectory directory;

    public TestDirectory() {
        MockProcessorContext<Void, Void> context = new MockProcessorContext<>();
        KeyValueStore<String, TenantContext> store = ProcessorTests.store(context, "tenant-directory", Serdes.String(),
                AvroSerde.of(TenantContext.class));
        updater.init(context);
        directory = new ContextTenantDirectory(store, TenantResolver.none());
    }

    /** The directory, as {@code DetectorContext.tenants().directory(...)} would return it. */
    public TenantDirectory directory() {
        return directory;
    }

    /** Adds or replaces an object, keyed {@code <kind>/<key>} as on the context topic. */
    public TestDirectory put(TenantContext object) {
        updater.process(new Record<>(object.getKind() + "/" + object.getKey(), object, object.getObservedAt()));
        return this;
    }

    /** A namespace object with a tenant label (null: none), observed at {@code observedAt}. */
    public static TenantContext namespace(String name, String tenant, long observedAt) {
        return TenantContext.newBuilder().setKind("namespace").setKey(name).setNamespace(name).setName(name)
                .setTenant(tenant).setObservedAt(observedAt).build();
    }
}
