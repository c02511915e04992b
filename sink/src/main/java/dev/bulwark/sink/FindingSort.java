package dev.bulwark.sink;

import java.util.List;
import java.util.Locale;

import co.elastic.clients.elasticsearch._types.SortOptions;
import co.elastic.clients.elasticsearch._types.SortOrder;

/**
 * The orders findings can be listed in. Every order ends with {@code finding.id} ascending, so it is total and
 * {@code search_after} pages never skip or repeat a finding.
 *
 * <p>Why: a closed set of sorts keeps callers from sorting on arbitrary (or text) fields, and fixes how many sort
 * values a pagination cursor carries.
 */
public enum FindingSort {
    /** Last seen, newest first. */
    NEWEST("@timestamp", SortOrder.Desc),
    /** Last seen, oldest first. */
    OLDEST("@timestamp", SortOrder.Asc),
    /** Risk score, highest first. */
    RISK("finding.risk_score", SortOrder.Desc),
    /** Occurrence count, highest first. */
    COUNT("finding.count", SortOrder.Desc);

    private final String field;
    private final SortOrder order;

    FindingSort(String field, SortOrder order) {
        this.field = field;
        this.order = order;
    }

    /** The sort clauses, tie-broken by finding id. */
    public List<SortOptions> options() {
        return List.of(
                SortOptions.of(o -> o.field(f -> f.field(field).order(order))),
                SortOptions.of(o -> o.field(f -> f.field("finding.id").order(SortOrder.Asc))));
    }

    /** Number of values in a {@code search_after} cursor for this sort. */
    public int cursorLength() {
        return 2;
    }

    /** The name used in the API and CLI ({@code newest}, {@code oldest}, {@code risk}, {@code count}). */
    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The sort named {@code name}.
     *
     * @throws IllegalArgumentException listing the valid names
     */
    public static FindingSort parse(String name) {
        for (FindingSort sort : values()) {
            if (sort.apiName().equals(name)) {
                return sort;
            }
        }
        throw new IllegalArgumentException("sort must be one of newest, oldest, risk, count");
    }
}
