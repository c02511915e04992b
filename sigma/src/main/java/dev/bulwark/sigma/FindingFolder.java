package dev.bulwark.sigma;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
 * <li>State is bounded by time: an episode whose last event is older than the fold window plus the grace (in stream
 * time) is flushed if dirty and deleted.</li>
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

    FindingFolder(String stateStore, String dirtyStore, SigmaSettings settings, Counter folded, Counter duplicates) {
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
     * its key, or starts a new episode; emits according to the rate limit.
     */
    void fold(Finding candidate, long eventTime) {
        String key = candidate.getId();
        long now = context.currentSystemTimeMs();
        FoldState state = get(key);
        if (state != null && eventTime <= state.finding().getLastSeen() + windowMs
                && eventTime >= state.finding().getFirstSeen() - windowMs) {
            if (alreadyCounted(state.finding(), candidate)) {
                // The same event again (a sender resending after a 503, a replay after a crash): event ids come from
                // the content, so it is not a new occurrence.
                duplicates.increment();
                return;
            }
            folded.increment();
            Finding merged = merge(state.finding(), candidate);
            if (now - state.lastEmitted() >= emitIntervalMs) {
                emit(merged);
                put(key, new FoldState(merged, now, false));
                dirty.delete(key);
            } else {
                put(key, new FoldState(merged, state.lastEmitted(), true));
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
                put(key, new FoldState(state.finding(), now, false));
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
     * @param finding the folded finding as last updated
     * @param lastEmitted wall-clock milliseconds of its last emission
     * @param dirty true when it changed since
     */
    record FoldState(Finding finding, long lastEmitted, boolean dirty) {
    }

    private static FoldStateRecord toRecord(FoldState state) {
        return new FoldStateRecord(StateSerde.bytes(state.finding()), state.lastEmitted(), state.dirty());
    }

    private static FoldState fromRecord(FoldStateRecord record) {
        return new FoldState(StateSerde.finding(record.getFinding()), record.getLastEmitted(), record.getDirty());
    }
}
