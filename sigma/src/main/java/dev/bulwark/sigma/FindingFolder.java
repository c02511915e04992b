package dev.bulwark.sigma;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.Ids;
import dev.bulwark.sigma.state.FoldStateRecord;
import io.micrometer.core.instrument.Counter;

/**
 * Folds repeats of the same finding (same fold key: detector, rule and entity, or correlation and group) into one
 * finding with a growing {@code count}, {@code first_seen} and {@code last_seen}, and rate-limits its re-emission.
 *
 * <p>Why: a rule that fires on every event of a noisy workload would otherwise flood analysts and the index with
 * thousands of identical findings. Semantics:
 * <ul>
 * <li>An <em>episode</em> starts with the first match of a fold key and lasts while repeats arrive within the fold
 * window (event time) of the episode's first or last event. Its finding id is {@code Ids.of(foldKey, first_seen)}:
 * deterministic, so a replay gives the same ids, and a later episode gets a new finding instead of overwriting the
 * old one's history.</li>
 * <li>The first match of an episode is emitted at once; repeats update the stored finding and mark it dirty; a
 * dirty finding is emitted again (same id, updated count) at most once per emit interval (wall-clock punctuation).
 * A repeat that arrives after the interval has passed is emitted at once.</li>
 * <li>A repeat never hides an escalation: a repeat whose severity ranks higher than any seen in the episode, whose
 * acting user ({@link #USER_FIELD}) is not among the episode's users, or that carries a MITRE tactic the episode has
 * not seen starts a new finding instead of folding. Its id is {@code Ids.of(foldKey, first_seen, escalated id)}
 * (deterministic), its {@code escalates} is the id of the finding it escalates and {@link #ESCALATION_FIELD} says
 * what rose. The escalated finding is flushed if it has held repeats and not changed otherwise; the new finding is
 * the open one of the episode from then on, so later repeats that escalate nothing fold into it. What the episode
 * has seen (highest severity, tactics, users) is kept with it, so users taking turns or a rule update that reaches
 * the instances one after another do not start a finding per switch.</li>
 * <li>State is bounded by time: an episode whose last event is older than the fold window plus the grace (in stream
 * time) is flushed if dirty and deleted. Per episode it holds one finding and at most {@link #MAX_SEEN} users and
 * tactics.</li>
 * </ul>
 * Used by the rule-finding fold processor and by the correlation processor (whose key already is the fold key).
 */
final class FindingFolder {

    /** Serde of the fold state, stored as a {@link FoldStateRecord}. */
    static final Serde<FoldState> STATE_SERDE = new StateSerde<>("fold", FoldStateRecord.class,
            FindingFolder::toRecord, FindingFolder::fromRecord);

    private final String stateStore;
    private final String dirtyStore;
    private final long windowMs;
    private final long emitIntervalMs;
    private final long retentionMs;
    private final int maxEvidenceEvents;
    private final Counter folded;
    private final Counter duplicates;
    private ProcessorContext<String, Finding> context;
    private KeyValueStore<String, FoldState> states;
    private KeyValueStore<String, Long> dirty;
    /**
     * The most recently used episodes, decoded: a repeat (the common case for a noisy rule) is merged without reading
     * and decoding its stored finding. Write-through, so the store (and its changelog) always holds the truth; emptied
     * whenever the processor is (re)initialized.
     */
    private final Map<String, FoldState> recent = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, FoldState> eldest) {
            return size() > RECENT_EPISODES;
        }
    };
    private static final int RECENT_EPISODES = 4096;

    /** Evidence field with the acting user of a rule finding's event, compared by the escalation check. */
    static final String USER_FIELD = SigmaFindings.USER_FIELD;
    /** Evidence field of an escalating finding: what rose against the finding it escalates. */
    static final String ESCALATION_FIELD = "sigma.escalation";
    /** Most users and most tactics remembered per episode (the oldest are forgotten first). */
    static final int MAX_SEEN = 32;

    private final Counter escalated;
    private final dev.bulwark.detectors.api.RuleTelemetry telemetry;

    FindingFolder(String stateStore, String dirtyStore, SigmaSettings settings, Counter folded, Counter duplicates) {
        this(stateStore, dirtyStore, settings, folded, duplicates, null);
    }

    /**
     * @param escalated counts repeats that started a new finding because they escalated the open one (optional)
     */
    FindingFolder(String stateStore, String dirtyStore, SigmaSettings settings, Counter folded, Counter duplicates,
                  Counter escalated) {
        this(stateStore, dirtyStore, settings, folded, duplicates, escalated,
                dev.bulwark.detectors.api.RuleTelemetry.NONE);
    }

    /** @param telemetry counts each rule's folded repeats */
    FindingFolder(String stateStore, String dirtyStore, SigmaSettings settings, Counter folded, Counter duplicates,
                  Counter escalated, dev.bulwark.detectors.api.RuleTelemetry telemetry) {
        this.telemetry = telemetry;
        this.escalated = escalated;
        this.duplicates = duplicates;
        this.stateStore = stateStore;
        this.dirtyStore = dirtyStore;
        this.windowMs = settings.foldWindow().toMillis();
        this.emitIntervalMs = settings.emitInterval().toMillis();
        this.retentionMs = windowMs + settings.grace().toMillis();
        this.maxEvidenceEvents = settings.maxEvidenceEvents();
        this.folded = folded;
    }

    /** Opens the stores and schedules the emission and expiry punctuation. */
    void init(ProcessorContext<String, Finding> context) {
        this.context = context;
        this.states = context.getStateStore(stateStore);
        this.dirty = context.getStateStore(dirtyStore);
        recent.clear();
        long tick = Math.max(1_000L, Math.min(emitIntervalMs, 10_000L));
        context.schedule(Duration.ofMillis(tick), PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    /**
     * Folds {@code candidate} (a finding of one match or firing, whose id is the fold key) into the open episode of
     * its key, starts a new finding in it when the candidate escalates it, or starts a new episode; emits according
     * to the rate limit.
     */
    void fold(Finding candidate, long eventTime) {
        String key = candidate.getId();
        long now = context.currentSystemTimeMs();
        FoldState state = get(key);
        if (state != null && eventTime <= state.finding().getLastSeen() + windowMs
                && eventTime >= Math.min(state.episodeFirstSeen(), state.finding().getFirstSeen()) - windowMs) {
            if (alreadyCounted(state, candidate)) {
                // The same event again (a sender resending after a 503, a replay after a crash): event ids come from
                // the content, so it is not a new occurrence.
                duplicates.increment();
                return;
            }
            List<String> rose = escalation(state.seen(), candidate);
            if (!rose.isEmpty()) {
                escalate(key, state, candidate, rose, now);
                return;
            }
            folded.increment();
            telemetry.rule(candidate.getRule().getId()).folded();
            Finding merged = merge(state.finding(), candidate);
            // a user where the episode knew none is remembered (not an escalation: nothing to compare it with)
            Seen seen = state.seen().with(candidate);
            if (now - state.lastEmitted() >= emitIntervalMs) {
                emit(merged);
                put(key, new FoldState(merged, now, false, seen, state.earlierEventIds(),
                        Math.min(state.episodeFirstSeen(), merged.getFirstSeen())));
                dirty.delete(key);
            } else {
                put(key, new FoldState(merged, state.lastEmitted(), true, seen, state.earlierEventIds(),
                        Math.min(state.episodeFirstSeen(), merged.getFirstSeen())));
                dirty.put(key, state.lastEmitted());
            }
            return;
        }
        if (state != null && state.dirty()) {
            emit(state.finding());
        }
        Finding fresh = Finding.newBuilder(candidate)
                .setId(Ids.of(key, Long.toString(candidate.getFirstSeen())))
                .build();
        emit(fresh);
        put(key, new FoldState(fresh, now, false));
        dirty.delete(key);
    }

    /**
     * Starts the finding of an escalating repeat: the repeat's own finding, linked to the open one, which is flushed
     * if it holds repeats and otherwise left as it is.
     */
    private void escalate(String key, FoldState state, Finding candidate, List<String> rose, long now) {
        if (escalated != null) {
            escalated.increment();
        }
        Finding open = state.finding();
        if (state.dirty()) {
            emit(open);
        }
        Map<String, String> fields = new LinkedHashMap<>(candidate.getEvidence().getFields());
        fields.put(ESCALATION_FIELD, SigmaFindings.clip(String.join("; ", rose)));
        Finding escalation = Finding.newBuilder(candidate)
                .setId(Ids.of(key, Long.toString(candidate.getFirstSeen()), open.getId()))
                .setEscalates(open.getId())
                .setEvidence(Evidence.newBuilder(candidate.getEvidence()).setFields(fields).build())
                .build();
        emit(escalation);
        // the episode goes on (its window still spans the escalated finding's events), with this finding open
        put(key, new FoldState(escalation, now, false, state.seen().with(candidate),
                List.copyOf(open.getEvidence().getEventIds()),
                Math.min(state.episodeFirstSeen(), escalation.getFirstSeen())));
        dirty.delete(key);
    }

    /**
     * What {@code candidate} raises against what its episode has seen, for the analyst ({@code severity low -> high},
     * {@code user root}, {@code tactic privilege-escalation}); empty when it escalates nothing and may fold.
     * <ul>
     * <li>severity: ranks higher (low &lt; medium &lt; high &lt; critical) than the highest seen;</li>
     * <li>user: has an acting user and the episode has others, but not this one (a user where none was known is no
     * escalation: there is nothing to compare it with);</li>
     * <li>tactic: carries a MITRE tactic not seen.</li>
     * </ul>
     */
    static List<String> escalation(Seen seen, Finding candidate) {
        List<String> rose = new ArrayList<>(3);
        if (rank(candidate.getSeverity()) > rank(seen.severity())) {
            rose.add("severity " + seen.severity() + " -> " + candidate.getSeverity());
        }
        String user = userOf(candidate);
        if (user != null && !seen.users().isEmpty() && !seen.users().contains(user)) {
            rose.add("user " + user);
        }
        List<String> tactics = candidate.getMitre().getTactics().stream()
                .filter(t -> !seen.tactics().contains(t)).distinct().toList();
        if (!tactics.isEmpty()) {
            rose.add("tactic " + String.join(", ", tactics));
        }
        return rose;
    }

    /** Rank of a severity label; an unknown or missing label ranks below low. */
    static int rank(String severity) {
        try {
            return Severity.of(severity).ordinal();
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    /** The acting user a finding records ({@link #USER_FIELD}), or null. */
    static String userOf(Finding finding) {
        String user = finding.getEvidence().getFields().get(USER_FIELD);
        return user == null || user.isEmpty() ? null : user;
    }

    private FoldState get(String key) {
        FoldState state = recent.get(key);
        if (state == null) {
            state = states.get(key);
            if (state != null) {
                recent.put(key, state);
            }
        }
        return state;
    }

    private void put(String key, FoldState state) {
        states.put(key, state);
        recent.put(key, state);
    }

    /** Emits the dirty findings whose interval has passed, then drops the episodes that ended. */
    void punctuate(long now) {
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, Long> all = dirty.all()) {
            while (all.hasNext()) {
                KeyValue<String, Long> entry = all.next();
                if (now - entry.value >= emitIntervalMs) {
                    due.add(entry.key);
                }
            }
        }
        for (String key : due) {
            FoldState state = get(key);
            dirty.delete(key);
            if (state != null) {
                emit(state.finding());
                put(key, new FoldState(state.finding(), now, false, state.seen(), state.earlierEventIds(),
                        state.episodeFirstSeen()));
            }
        }
        long streamTime = context.currentStreamTimeMs();
        List<KeyValue<String, FoldState>> expired = new ArrayList<>();
        try (KeyValueIterator<String, FoldState> all = states.all()) {
            while (all.hasNext()) {
                KeyValue<String, FoldState> entry = all.next();
                // null: state of the format before Avro, refused by the serde; it goes like an ended episode
                if (entry.value == null || entry.value.finding().getLastSeen() + retentionMs < streamTime) {
                    expired.add(entry);
                }
            }
        }
        for (KeyValue<String, FoldState> entry : expired) {
            if (entry.value != null && entry.value.dirty()) {
                emit(entry.value.finding());
            }
            states.delete(entry.key);
            recent.remove(entry.key);
            dirty.delete(entry.key);
        }
    }

    private void emit(Finding finding) {
        context.forward(new Record<>(finding.getId(), finding, finding.getLastSeen()));
    }

    /** True when every event of {@code candidate} is already in the open finding's evidence. */
    static boolean alreadyCounted(Finding open, Finding candidate) {
        List<String> ids = candidate.getEvidence().getEventIds();
        return !ids.isEmpty() && open.getEvidence().getEventIds().containsAll(ids);
    }

    /** True when every event of {@code candidate} is already counted by the episode's open or escalated finding. */
    private static boolean alreadyCounted(FoldState state, Finding candidate) {
        List<String> ids = candidate.getEvidence().getEventIds();
        List<String> counted = state.finding().getEvidence().getEventIds();
        return !ids.isEmpty() && ids.stream().allMatch(id -> counted.contains(id) || state.earlierEventIds().contains(id));
    }

    private Finding merge(Finding open, Finding repeat) {
        List<String> ids = new ArrayList<>(open.getEvidence().getEventIds());
        for (String id : repeat.getEvidence().getEventIds()) {
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        if (ids.size() > maxEvidenceEvents) {
            // keep the first event (how it started) and the latest ones
            List<String> kept = new ArrayList<>(maxEvidenceEvents);
            kept.add(ids.get(0));
            kept.addAll(ids.subList(ids.size() - (maxEvidenceEvents - 1), ids.size()));
            ids = kept;
        }
        Map<String, String> fields = new LinkedHashMap<>(open.getEvidence().getFields());
        return Finding.newBuilder(open)
                .setCount(open.getCount() + repeat.getCount())
                .setFirstSeen(Math.min(open.getFirstSeen(), repeat.getFirstSeen()))
                .setLastSeen(Math.max(open.getLastSeen(), repeat.getLastSeen()))
                .setEvidence(Evidence.newBuilder(open.getEvidence()).setEventIds(List.copyOf(ids)).setFields(fields)
                        .setTruncated(open.getEvidence().getTruncated() || repeat.getEvidence().getTruncated()).build())
                .build();
    }

    /**
     * The stored episode of a fold key.
     *
     * @param finding the folded finding as last updated (the episode's latest escalation, if any)
     * @param lastEmitted wall-clock milliseconds of its last emission
     * @param dirty true when it changed since
     * @param seen what the episode's findings have shown, which a repeat must exceed to escalate
     * @param earlierEventIds the events the escalated finding counted (empty when {@code finding} escalates none)
     * @param episodeFirstSeen the episode's first event time (before {@code finding}'s own after an escalation)
     */
    record FoldState(Finding finding, long lastEmitted, boolean dirty, Seen seen, List<String> earlierEventIds,
                     long episodeFirstSeen) {

        FoldState {
            Objects.requireNonNull(seen, "seen");
            earlierEventIds = List.copyOf(earlierEventIds);
        }

        /** An episode that has seen only {@code finding}. */
        FoldState(Finding finding, long lastEmitted, boolean dirty) {
            this(finding, lastEmitted, dirty, Seen.of(finding), List.of(), finding.getFirstSeen());
        }
    }

    /**
     * What an episode's findings have shown: the highest severity, the MITRE tactics and the acting users (at most
     * {@link #MAX_SEEN} each, oldest first).
     */
    record Seen(String severity, List<String> tactics, List<String> users) {

        Seen {
            tactics = List.copyOf(tactics);
            users = List.copyOf(users);
        }

        /** What one finding shows. */
        static Seen of(Finding finding) {
            String user = userOf(finding);
            return new Seen(finding.getSeverity(), bounded(finding.getMitre().getTactics(), List.of()),
                    user == null ? List.of() : List.of(user));
        }

        /** This and what {@code finding} shows. */
        Seen with(Finding finding) {
            String user = userOf(finding);
            return new Seen(rank(finding.getSeverity()) > rank(severity) ? finding.getSeverity() : severity,
                    bounded(tactics, finding.getMitre().getTactics()),
                    bounded(users, user == null ? List.of() : List.of(user)));
        }

        private static List<String> bounded(List<String> known, List<String> more) {
            List<String> all = new ArrayList<>(known);
            for (String value : more) {
                if (!all.contains(value)) {
                    all.add(value);
                }
            }
            return all.size() <= MAX_SEEN ? all : all.subList(all.size() - MAX_SEEN, all.size());
        }
    }

    private static FoldStateRecord toRecord(FoldState state) {
        return FoldStateRecord.newBuilder()
                .setFinding(StateSerde.bytes(state.finding()))
                .setLastEmitted(state.lastEmitted())
                .setDirty(state.dirty())
                .setSeenSeverity(state.seen().severity())
                .setSeenTactics(state.seen().tactics())
                .setSeenUsers(state.seen().users())
                .setEarlierEventIds(state.earlierEventIds())
                .setEpisodeFirstSeen(state.episodeFirstSeen())
                .build();
    }

    private static FoldState fromRecord(FoldStateRecord record) {
        Finding finding = StateSerde.finding(record.getFinding());
        // state written before escalations (seen_severity absent): the episode has seen its finding
        Seen seen = record.getSeenSeverity() == null ? Seen.of(finding)
                : new Seen(record.getSeenSeverity(), record.getSeenTactics(), record.getSeenUsers());
        return new FoldState(finding, record.getLastEmitted(), record.getDirty(), seen, record.getEarlierEventIds(),
                record.getEpisodeFirstSeen() == null ? finding.getFirstSeen() : record.getEpisodeFirstSeen());
    }
}
