package dev.bulwark.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulwark.schemas.TenantContext;

/**
 * The tenant context a backtest replays: the context as it was at the start of the range, and every change within
 * the range at its own time.
 *
 * <p>Why this way: the context topics are compacted, so they hold only each object's newest version. The detectors
 * record every change with the object before and after on the time-retained context-history topic; undoing, newest
 * first, every change recorded since the start of the range turns today's context into the context as of then. This
 * holds for as long as the history is retained (by default as long as the events are), whatever compaction did.
 */
final class ContextReplay {

    private ContextReplay() {
    }

    /** One recorded change: the context key, the object before and after (null: absent), and its time (epoch ms). */
    record Change(String key, TenantContext before, TenantContext after, long at) {
    }

    /**
     * @param start the context as of the start of the range, by key
     * @param changes the changes within the range, oldest first
     */
    record Plan(Map<String, TenantContext> start, List<Change> changes) {
    }

    /**
     * The context as of {@code from} and the changes in {@code [from, to)}.
     *
     * @param current today's context by key (the compacted context topic read to its end)
     * @param history the recorded changes, in any order
     */
    static Plan plan(Map<String, TenantContext> current, List<Change> history, long from, long to) {
        List<Change> sorted = new ArrayList<>(history);
        sorted.sort(Comparator.comparingLong(Change::at)); // stable: one key's changes keep their recorded order
        Map<String, TenantContext> start = new LinkedHashMap<>(current);
        for (int i = sorted.size() - 1; i >= 0 && sorted.get(i).at() >= from; i--) {
            Change change = sorted.get(i);
            if (change.before() == null) {
                start.remove(change.key());
            } else {
                start.put(change.key(), change.before());
            }
        }
        List<Change> within = sorted.stream().filter(c -> c.at() >= from && c.at() < to).toList();
        return new Plan(start, within);
    }
}
