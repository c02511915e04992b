package dev.bulwark.detectors.integrity;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.detectors.api.Tenants;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.ImageVerification;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

/**
 * The last step of {@link UnverifiedImageDetector}: judges each running container against the verdict on its digest,
 * at once when there is one, after the grace period when there is none yet.
 *
 * <p>Stores: {@code unverified-image-running-pending} holds containers waiting for a verdict (their record, with
 * {@code observed_at} set to when the wait began); {@code unverified-image-running-judged} the outcome last reported
 * per {@code <pod key>|<container>|<digest>} ({@code failed}, {@code unverified} or {@code verified}), so a pod record
 * that changes for another reason (a status update) reports nothing again, while a changed outcome is reported. A
 * wall-clock punctuator judges the containers whose grace is over (reading the verdict table again) and forgets the
 * outcomes of pods the tenant directory no longer has.
 */
final class UnverifiedImageProcessor
        implements Processor<String, UnverifiedImageDetector.Judgement, String, Finding> {

    private final String pendingStore;
    private final String judgedStore;
    private final String verdictStore;
    private final Duration grace;
    private final Function<ProcessingContext, TenantDirectory> directories;
    private final Function<SecurityEvent, FindingBuilder> findings;

    private ProcessorContext<String, Finding> processorContext;
    private KeyValueStore<String, TenantContext> pending;
    private KeyValueStore<String, String> judged;
    private KeyValueStore<String, ValueAndTimestamp<ImageVerification>> verdicts;
    private TenantDirectory directory;

    UnverifiedImageProcessor(String pendingStore, String judgedStore, String verdictStore, Duration grace,
                             Function<ProcessingContext, TenantDirectory> directories,
                             Function<SecurityEvent, FindingBuilder> findings) {
        this.pendingStore = Objects.requireNonNull(pendingStore, "pendingStore");
        this.judgedStore = Objects.requireNonNull(judgedStore, "judgedStore");
        this.verdictStore = Objects.requireNonNull(verdictStore, "verdictStore");
        this.grace = Objects.requireNonNull(grace, "grace");
        this.directories = Objects.requireNonNull(directories, "directories");
        this.findings = Objects.requireNonNull(findings, "findings");
    }

    @Override
    public void init(ProcessorContext<String, Finding> processorContext) {
        this.processorContext = processorContext;
        this.pending = processorContext.getStateStore(pendingStore);
        this.judged = processorContext.getStateStore(judgedStore);
        this.verdicts = processorContext.getStateStore(verdictStore);
        this.directory = directories.apply(processorContext);
        long every = Math.max(1_000, Math.min(30_000, grace.toMillis() / 4));
        processorContext.schedule(Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<String, UnverifiedImageDetector.Judgement> record) {
        TenantContext copy = record.value().pod();
        String key = key(copy);
        ImageVerification verdict = record.value().verdict();
        if (verdict != null && !"skip".equals(verdict.getVerdict())) {
            judge(key, copy, verdict);
        } else if (!"unverified".equals(judged.get(key)) && pending.get(key) == null) {
            pending.put(key, TenantContext.newBuilder(copy)
                    .setObservedAt(processorContext.currentSystemTimeMs()).build());
        }
    }

    /** Judges the containers whose grace is over, and forgets outcomes of pods that are gone. */
    void punctuate(long now) {
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, TenantContext> it = pending.all()) {
            it.forEachRemaining(kv -> {
                if (now - kv.value.getObservedAt() >= grace.toMillis()) {
                    due.add(kv.key);
                }
            });
        }
        for (String key : due) {
            TenantContext copy = pending.get(key);
            ImageName image = RunningImages.image(RunningImages.container(copy));
            ValueAndTimestamp<ImageVerification> verdict = verdicts.get(image.byDigest());
            judge(key, copy, verdict == null ? null : verdict.value());
        }
        List<String> gone = new ArrayList<>();
        try (KeyValueIterator<String, String> it = judged.all()) {
            it.forEachRemaining(kv -> {
                String pod = kv.key.substring(0, kv.key.indexOf('|'));
                if (directory.object("pod", pod) == null && pending.get(kv.key) == null) {
                    gone.add(kv.key);
                }
            });
        }
        gone.forEach(judged::delete);
    }

    private void judge(String key, TenantContext copy, ImageVerification verdict) {
        pending.delete(key);
        String outcome = verdict == null || "skip".equals(verdict.getVerdict()) ? "unverified"
                : "fail".equals(verdict.getVerdict()) ? "failed" : "verified";
        String before = judged.get(key);
        judged.put(key, outcome);
        if ("verified".equals(outcome) || outcome.equals(before)) {
            return;
        }
        TenantDirectory.Resolution tenant = directory.namespaceTenant(copy.getNamespace());
        Finding finding = UnverifiedImageDetector.finding(copy, verdict, grace,
                tenant.known() ? tenant.tenant() : Tenants.UNATTRIBUTED, findings);
        processorContext.forward(new Record<>(finding.getId(), finding, copy.getObservedAt()));
    }

    private static String key(TenantContext copy) {
        return copy.getKey() + "|" + RunningImages.container(copy).getName() + "|"
                + RunningImages.container(copy).getDigest();
    }
}
