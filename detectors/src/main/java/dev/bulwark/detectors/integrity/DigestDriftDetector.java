package dev.bulwark.detectors.integrity;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import dev.bulwark.detectors.StateSerde;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.detectors.state.KnownDigests;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.ImageVerification;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.RunningContainer;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

/**
 * Digest drift: a container runs a tag with a digest other than every digest that tag was admitted or scanned with.
 *
 * <p>Why: a tag is a name anyone with push rights can move. Admission controllers resolve it to a digest once (Kyverno
 * {@code mutateDigest}, the policy-controller's tag resolution), scanners scan one digest; a node that pulls the tag
 * later, or a registry that was overwritten, runs something nobody checked. The tenant context's pod records say what
 * runs (the kubelet's image id); this detector compares it with what Bulwark saw vouched for.
 *
 * <p>Digests per {@code repository:tag} come from: the images admission webhooks wrote into a request that was allowed
 * (the audit's {@code k8s.audit.admission.image_patches}), verification verdicts naming both tag and digest, and Trivy
 * reports (image tag and repo digest). They are kept in a table (at most {@value #MAX_DIGESTS} per tag, the oldest
 * dropped first). A started container whose spec names the image by tag (not pinned by digest) is re-keyed by that
 * tag and joined: when the tag has known digests and the running one is not among them, that is a finding (high).
 * A tag Bulwark never saw vouched for is not judged. A container is judged when its pod record arrives or changes,
 * against the digests known then.
 */
public final class DigestDriftDetector implements Detector {

    public static final String RULE_ID = "bulwark.integrity.image_digest_drift";
    private static final MitreAttack MITRE = Mitre.of(List.of("persistence", "initial-access"), List.of("T1525", "T1195.002"));
    static final int MAX_DIGESTS = 32;
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @Override
    public String name() {
        return "image-digest-drift";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        if (context.contextUpdates() == null) {
            throw new IllegalStateException(name() + " needs tenant context; build it with DetectionTopology");
        }
        AvroSerde<TenantContext> pods = AvroSerde.of(TenantContext.class);
        KTable<String, KnownDigests> known = context.events()
                .flatMap((key, event) -> vouched(event), context.named("vouched-digests"))
                .groupByKey(Grouped.with(name() + "-vouched-by-tag", Serdes.String(), Serdes.String()))
                .aggregate(() -> new KnownDigests(new TreeMap<>(), new ArrayList<>()),
                        (tag, seen, digests) -> withDigest(digests, seen), context.named("known"),
                        Materialized.<String, KnownDigests, KeyValueStore<Bytes, byte[]>>as(name() + "-known-digests")
                                .withKeySerde(Serdes.String()).withValueSerde(StateSerde.knownDigests()));
        return context.contextUpdates()
                .filter((key, object) -> RunningImages.isPod(object), context.named("pods"))
                .flatMap((key, pod) -> runningByTag(pod), context.named("running-by-tag"))
                .join(known, Drift::new, Joined.with(Serdes.String(), pods, StateSerde.knownDigests(),
                        name() + "-with-known"))
                .filter((tag, drift) -> drift.drifted(), context.named("drifted"))
                .process(() -> new PodTenants<Drift>(context.tenants()::directory, Drift::pod,
                        (drift, tenant, directory) -> List.of(finding(drift, tenant, context::finding))),
                        context.named("once-per-container"));
    }

    /** A running container (its pod record) and what its tag is known to point at. */
    record Drift(TenantContext pod, KnownDigests known) {

        ImageName image() {
            return RunningImages.image(RunningImages.container(pod));
        }

        boolean drifted() {
            return !known.getDigests().isEmpty() && !known.getDigests().containsKey(image().digest());
        }
    }

    /**
     * The digests an event vouches for, keyed {@code repository:tag}, valued {@code <digest> <source>}: images an
     * allowed request was mutated to, verdicts naming tag and digest, a Trivy report's image.
     */
    static List<KeyValue<String, String>> vouched(SecurityEvent event) {
        List<KeyValue<String, String>> vouched = new ArrayList<>();
        boolean allowed = event.getKubernetesAudit() != null && event.getKubernetesAudit().getResponseCode() != null
                && event.getKubernetesAudit().getResponseCode() < 400;
        String patches = event.getAttributes().get(KubernetesAttributes.AUDIT_ADMISSION_IMAGE_PATCHES);
        if (allowed && patches != null) {
            try {
                for (JsonNode patch : JSON.readTree(patches)) {
                    add(vouched, ImageName.parse(patch.path("image").asText(null)), "admitted");
                }
            } catch (IOException e) {
                // Written by the audit parser as a JSON array; anything else vouches for nothing.
            }
        }
        for (ImageVerification verdict : event.getImageVerifications()) {
            if ("pass".equals(verdict.getVerdict())) {
                add(vouched, ImageName.parse(verdict.getImage()), "admitted");
            }
        }
        if ("trivy".equals(event.getSourceFormat()) && event.getContainer() != null
                && event.getContainer().getImageName() != null && event.getContainer().getImageTag() != null) {
            ImageName name = ImageName.parse(event.getContainer().getImageName());
            if (name != null) {
                add(vouched, new ImageName(name.registry(), name.repository(), event.getContainer().getImageTag(),
                        event.getContainer().getImageDigest()), "scanned");
            }
        }
        return vouched;
    }

    private static void add(List<KeyValue<String, String>> vouched, ImageName image, String source) {
        if (image != null && image.tag() != null && image.digest() != null) {
            vouched.add(KeyValue.pair(image.byTag(), image.digest() + " " + source));
        }
    }

    /** The tag's digests with one more ({@code <digest> <source>}), the oldest dropped beyond {@value #MAX_DIGESTS}. */
    static KnownDigests withDigest(KnownDigests known, String seen) {
        int space = seen.indexOf(' ');
        String digest = seen.substring(0, space);
        Map<String, String> digests = new TreeMap<>(known.getDigests());
        List<String> order = new ArrayList<>(known.getOrder());
        if (digests.put(digest, seen.substring(space + 1)) == null) {
            order.add(digest);
        }
        while (order.size() > MAX_DIGESTS) {
            digests.remove(order.remove(0));
        }
        return new KnownDigests(digests, order);
    }

    /** One record per started container whose spec names its image by tag, keyed {@code repository:tag}. */
    static List<KeyValue<String, TenantContext>> runningByTag(TenantContext pod) {
        List<KeyValue<String, TenantContext>> running = new ArrayList<>();
        for (TenantContext copy : RunningImages.perContainer(pod)) {
            RunningContainer container = RunningImages.container(copy);
            ImageName spec = ImageName.parse(container.getSpecImage());
            if (spec != null && spec.digest() == null && container.getDigest() != null) {
                running.add(KeyValue.pair(spec.byTag(), copy));
            }
        }
        return running;
    }

    static Finding finding(Drift drift, String tenant, Function<SecurityEvent, FindingBuilder> findings) {
        RunningContainer container = RunningImages.container(drift.pod());
        ImageName image = drift.image();
        Map<String, String> evidence = RunningImages.evidence(drift.pod(), container, image);
        Map<String, String> known = new LinkedHashMap<>();
        for (String digest : drift.known().getOrder()) {
            known.put(digest, drift.known().getDigests().get(digest));
        }
        evidence.put("image.known_digests", String.join(",", known.keySet()));
        evidence.put("image.known_sources", String.join(",", known.values()));
        String summary = "pod " + drift.pod().getKey() + " container " + container.getName() + " runs " + image.byTag()
                + " as " + image.digest() + ", but that tag was " + String.join(" and ", known.values().stream()
                        .distinct().sorted().toList()) + " as " + String.join(", ", known.keySet());
        return findings.apply(RunningImages.event(drift.pod(), container, image, tenant, "image-digest-drift"))
                .rule(RULE_ID, "Image tag running with an unvetted digest").severity(Severity.HIGH).mitre(MITRE)
                .summary(summary).evidence(evidence)
                .identity(drift.pod().getKey(), container.getName(), image.digest()).build();
    }
}
