package dev.bulwark.detectors;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.bulwark.detectors.state.ImageProfile;
import dev.bulwark.detectors.state.ImageRisk;
import dev.bulwark.detectors.state.KnownDigests;
import dev.bulwark.detectors.state.NamespaceTenant;
import dev.bulwark.detectors.state.ReportedContainer;
import dev.bulwark.schemas.AvroSerde;

/**
 * Serdes for the built-in detectors' state stores: Avro records declared in {@code src/main/avro} (namespace
 * {@code dev.bulwark.detectors.state}), written with {@link AvroSerde} like every record on Bulwark's topics.
 *
 * <p>Why one format: state outlives the code that wrote it. Changelog topics and local stores are read back after an
 * upgrade, so a state record is a wire format, and it evolves like one: a new field is optional with a default, a
 * field is never renamed or retyped in place, and the released version of every schema is kept under
 * {@code src/main/resources/schema-history/<Type>/} before it changes (the next {@code vN.avsc}, listed in
 * {@code index.txt}). {@code StateSchemaCompatibilityTest} checks that the current schema reads every released
 * version and that the newest released version reads the current one, so state survives upgrades and rolling
 * upgrades alike; {@link AvroSerde} resolves the writer's schema of each record from that history.
 *
 * <p>Older releases wrote these records as JSON. The deserializer still reads those bytes: a JSON object starts with
 * {@code '{'}, while a single-object encoded Avro record always starts with the marker {@code C3 01}, so the two cannot
 * be confused. A JSON entry is converted as it is read and written back as Avro the next time the detector updates it;
 * entries never updated (a namespace whose tenant never changes) stay JSON in the store, so the fallback stays as long
 * as such stores may exist. Nothing else is ever parsed as JSON.
 */
public final class StateSerde {

    private static final ObjectMapper MAPPER = JsonMapper.builder().build();

    private StateSerde() {
    }

    /** rbac-drift's namespace tenants; JSON of old: {@code {"tenant":"acme","movedAtMillis":0}}. */
    public static Serde<NamespaceTenant> namespaceTenants() {
        return of(NamespaceTenant.class, json -> NamespaceTenant.newBuilder()
                .setTenant(text(json, "tenant"))
                .setMovedAt(json.path("movedAtMillis").asLong(0))
                .build());
    }

    /** vulnerable-image-running's image risks; JSON of old: {@code {"fixable":{"CVE-1":"CRITICAL"}}}. */
    public static Serde<ImageRisk> imageRisks() {
        return of(ImageRisk.class, json -> {
            Map<String, String> fixable = new TreeMap<>();
            json.path("fixable").properties().forEach(entry -> fixable.put(entry.getKey(), entry.getValue().asText()));
            return ImageRisk.newBuilder().setFixable(fixable).build();
        });
    }

    /** vulnerable-image-running's reported containers; JSON of old: {@code {"severity":"high","lastSeenMillis":1}}. */
    public static Serde<ReportedContainer> reportedContainers() {
        return of(ReportedContainer.class, json -> ReportedContainer.newBuilder()
                .setSeverity(required(json, "severity"))
                .setLastSeen(json.path("lastSeenMillis").asLong(0))
                .build());
    }

    /**
     * behaviour-baseline's image profiles; JSON of old:
     * {@code {"firstSeenMillis":1,"lastSeenMillis":2,"executables":["/bin/sh"],"destinations":["10.0.0.1:443"]}}.
     */
    public static Serde<ImageProfile> imageProfiles() {
        return of(ImageProfile.class, json -> ImageProfile.newBuilder()
                .setFirstSeen(json.path("firstSeenMillis").asLong())
                .setLastSeen(json.path("lastSeenMillis").asLong())
                .setExecutables(sortedTexts(json.path("executables")))
                .setDestinations(sortedTexts(json.path("destinations")))
                .build());
    }

    /** image-digest-drift's known digests per tag (Avro only: no release wrote them as JSON). */
    public static Serde<KnownDigests> knownDigests() {
        return AvroSerde.of(KnownDigests.class);
    }

    /**
     * A serde writing {@code type} with {@link AvroSerde} and reading Avro, or the JSON an older release wrote, through
     * {@code fromLegacyJson}.
     */
    static <T extends SpecificRecord> Serde<T> of(Class<T> type, Function<JsonNode, T> fromLegacyJson) {
        AvroSerde<T> avro = AvroSerde.of(type);
        return Serdes.serdeFrom(avro, (topic, bytes) -> {
            if (bytes == null || bytes.length == 0 || bytes[0] != '{') {
                return avro.deserialize(topic, bytes);
            }
            try {
                return fromLegacyJson.apply(MAPPER.readTree(bytes));
            } catch (IOException | RuntimeException e) {
                throw new SerializationException("cannot read " + type.getSimpleName() + " written as JSON by an older "
                        + "release: " + e.getMessage(), e);
            }
        });
    }

    private static String text(JsonNode json, String field) {
        JsonNode value = json.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static String required(JsonNode json, String field) {
        String value = text(json, field);
        if (value == null) {
            throw new IllegalArgumentException("no " + field);
        }
        return value;
    }

    private static List<String> sortedTexts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(item -> texts.add(item.asText()));
        texts.sort(null);
        return texts;
    }
}
