package dev.bulwark.detectors.integrity;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

import dev.bulwark.config.Field;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.ImageVerification;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.RunningContainer;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

/**
 * A container runs an image digest that failed signature verification, or that no verifier Bulwark has seen ever
 * verified.
 *
 * <p>Why: Kyverno's {@code verifyImages} and the sigstore policy-controller check signatures at admission only. Nothing
 * checks afterwards that what runs is what was verified: a pod admitted before the policy existed, in a namespace the
 * policy skips, or started by a path that bypasses the webhook (a static pod, a failed-open webhook) runs unverified.
 * This detector compares what runs, the kubelet's image id in the tenant context's pod records, with every verdict seen
 * in audit events and policy reports ({@code image_verifications}), by repository and digest.
 *
 * <p>Verdicts are a table keyed {@code repository@digest} (the latest verdict wins); running containers are re-keyed the
 * same way and joined. A failed verdict is reported at once (high). A container without a verdict waits
 * {@link #GRACE} (default two minutes), since the admission record and the pod record travel separately; if no verdict
 * arrived by then it is reported as not verified (medium). A verdict of {@code skip} counts as none. Each container and
 * digest is reported once per outcome; a pod re-verified later is judged again when its record changes. Only images
 * matching {@link #IMAGES} are judged (default: all), so a fleet that verifies only its own registry names it there.
 */
public final class UnverifiedImageDetector implements Detector {

    public static final String FAILED_RULE = "bulwark.integrity.image_verification_failed";
    public static final String UNVERIFIED_RULE = "bulwark.integrity.image_not_verified";
    static final MitreAttack MITRE = Mitre.of(List.of("initial-access", "persistence"), List.of("T1195.002", "T1525"));

    /** {@code images}: which repositories must be verified, as globs over the normalized repository. */
    public static final Field<List<String>> IMAGES = Field.of("images", Type.LIST)
            .withDefault(List.of("*"))
            .withValidator(Validator.of((List<String> l) -> !l.isEmpty(), "at least one pattern"))
            .withDoc("Repositories whose running images must have been verified, as globs over the normalized "
                    + "repository (registry included: docker.io/library/nginx); * matches any characters, "
                    + "including /. Default: every image.");

    /** {@code grace}: how long a running container may wait for its verdict to arrive. */
    public static final Field<Duration> GRACE = Field.of("grace", Type.DURATION)
            .withDefault(Duration.ofMinutes(2))
            .withValidator(Validator.of((Duration d) -> !d.isNegative() && d.compareTo(Duration.ofDays(1)) <= 0,
                    "between 0s and 1d"))
            .withDoc("How long a running container without a verdict waits for one (admission records and pod "
                    + "records arrive separately) before it is reported as not verified.");

    @Override
    public String name() {
        return "unverified-image-running";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public List<Field<?>> settings() {
        return List.of(IMAGES, GRACE);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        if (context.contextUpdates() == null) {
            throw new IllegalStateException(name() + " needs tenant context; build it with DetectionTopology");
        }
        Pattern scope = globs(context.settings().get(IMAGES));
        AvroSerde<ImageVerification> verdictSerde = AvroSerde.of(ImageVerification.class);
        AvroSerde<TenantContext> pods = AvroSerde.of(TenantContext.class);
        String verdictStore = name() + "-verdicts";
        KTable<String, ImageVerification> verdicts = context.events()
                .filter((key, event) -> !event.getImageVerifications().isEmpty(), context.named("verdict-events"))
                .flatMap((key, event) -> byDigest(event), context.named("verdicts-by-digest"))
                .toTable(context.named("verdicts"),
                        Materialized.<String, ImageVerification, KeyValueStore<Bytes, byte[]>>as(verdictStore)
                                .withKeySerde(Serdes.String()).withValueSerde(verdictSerde));
        String pending = context.stores().keyValue("pending", Serdes.String(), pods);
        String judged = context.stores().keyValue("judged", Serdes.String(), Serdes.String());
        Duration grace = context.settings().get(GRACE);
        return context.contextUpdates()
                .filter((key, object) -> RunningImages.isPod(object), context.named("pods"))
                .flatMap((key, pod) -> runningByDigest(pod, scope), context.named("running-by-digest"))
                .leftJoin(verdicts, Judgement::new,
                        Joined.with(Serdes.String(), pods, verdictSerde, name() + "-with-verdict"))
                .process(() -> new UnverifiedImageProcessor(pending, judged, verdictStore, grace,
                        context.tenants()::directory, context::finding), context.named("judge"),
                        pending, judged, verdictStore);
    }

    /** A running container (its pod record) and the verdict on its digest, if any. */
    record Judgement(TenantContext pod, ImageVerification verdict) {
    }

    /** Every verdict of an event that names a digest, keyed {@code repository@digest}. */
    static List<KeyValue<String, ImageVerification>> byDigest(SecurityEvent event) {
        List<KeyValue<String, ImageVerification>> verdicts = new ArrayList<>();
        for (ImageVerification verdict : event.getImageVerifications()) {
            ImageName image = ImageName.parse(verdict.getImage());
            String digest = verdict.getDigest() != null ? verdict.getDigest() : image == null ? null : image.digest();
            if (image != null && digest != null) {
                verdicts.add(KeyValue.pair(image.repository() + "@" + digest, verdict));
            }
        }
        return verdicts;
    }

    /** One record per started container with a digest and an image in scope, keyed {@code repository@digest}. */
    static List<KeyValue<String, TenantContext>> runningByDigest(TenantContext pod, Pattern scope) {
        List<KeyValue<String, TenantContext>> running = new ArrayList<>();
        for (TenantContext copy : RunningImages.perContainer(pod)) {
            ImageName image = RunningImages.image(RunningImages.container(copy));
            if (image != null && image.digest() != null && scope.matcher(image.repository()).matches()) {
                running.add(KeyValue.pair(image.byDigest(), copy));
            }
        }
        return running;
    }

    /** The globs as one pattern: {@code *} is any run of characters, everything else literal. */
    static Pattern globs(List<String> globs) {
        List<String> alternatives = new ArrayList<>();
        for (String glob : globs) {
            String[] parts = glob.strip().split("\\*", -1);
            StringBuilder regex = new StringBuilder();
            for (int i = 0; i < parts.length; i++) {
                if (i > 0) {
                    regex.append(".*");
                }
                if (!parts[i].isEmpty()) {
                    regex.append(Pattern.quote(parts[i]));
                }
            }
            alternatives.add("(?:" + regex + ")");
        }
        return Pattern.compile(String.join("|", alternatives));
    }

    /**
     * The finding for a container whose digest failed verification ({@code verdict} given) or was never verified.
     *
     * @param findings starts a finding about an event ({@code DetectorContext#finding})
     */
    static Finding finding(TenantContext copy, ImageVerification verdict, Duration grace, String tenant,
                           Function<SecurityEvent, FindingBuilder> findings) {
        RunningContainer container = RunningImages.container(copy);
        ImageName image = RunningImages.image(container);
        boolean failed = verdict != null && "fail".equals(verdict.getVerdict());
        SecurityEvent event = RunningImages.event(copy, container, image, tenant,
                failed ? "image-verification-failed" : "image-not-verified");
        Map<String, String> evidence = RunningImages.evidence(copy, container, image);
        String where = "pod " + copy.getKey() + " container " + container.getName() + " runs " + image.byDigest();
        String summary;
        if (failed) {
            evidence.put("verification.verifier", verdict.getVerifier());
            evidence.put("verification.policy", verdict.getPolicy());
            evidence.put("verification.rule", verdict.getRule());
            evidence.put("verification.evidence", verdict.getEvidence());
            summary = where + ", whose signature verification failed (" + verdict.getVerifier()
                    + (verdict.getPolicy() == null ? "" : ", policy " + verdict.getPolicy()) + ")";
        } else {
            evidence.put("verification.verdict", verdict == null ? "none" : verdict.getVerdict());
            evidence.put("verification.waited", grace.toString());
            summary = where + ", which no verifier Bulwark has seen verified"
                    + (verdict == null ? "" : " (the last verdict was " + verdict.getVerdict() + ")");
        }
        return findings.apply(event)
                .rule(failed ? FAILED_RULE : UNVERIFIED_RULE,
                        failed ? "Image that failed signature verification running" : "Unverified image running")
                .severity(failed ? Severity.HIGH : Severity.MEDIUM).mitre(MITRE)
                .summary(summary).evidence(evidence)
                .identity(copy.getKey(), container.getName(), image.digest()).build();
    }
}
