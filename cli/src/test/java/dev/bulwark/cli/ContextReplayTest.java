package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.TenantContext;

/** The context a backtest starts from and the changes it replays, from today's context and the recorded history. */
class ContextReplayTest {

    private static TenantContext namespace(String name, String tenant) {
        return TenantContext.newBuilder().setKind("namespace").setKey(name).setName(name).setNamespace(name)
                .setTenant(tenant).setObservedAt(0).build();
    }

    private static TenantContext pod(String key, String ip) {
        return TenantContext.newBuilder().setKind("pod").setKey(key).setPodIp(ip).setObservedAt(0).build();
    }

    private static ContextReplay.Change change(String key, TenantContext before, TenantContext after, long at) {
        return new ContextReplay.Change(key, before, after, at);
    }

    // The story: shop belonged to acme, was relabelled to globex at 150 and to initech at 250; pod web-1 held 10.0.0.7
    // from 50 until it was deleted at 120; pod web-2 took the IP at 130 and was deleted at 300 (after the range); db-0
    // was created at 210 (within it); cache-0 was created long before the history and never changed.
    private final List<ContextReplay.Change> history = new ArrayList<>(List.of(
            change("pod/shop/web-1", null, pod("shop/web-1", "10.0.0.7"), 50),
            change("pod/shop/web-1", pod("shop/web-1", "10.0.0.7"), null, 120),
            change("pod/shop/web-2", null, pod("shop/web-2", "10.0.0.7"), 130),
            change("namespace/shop", namespace("shop", "acme"), namespace("shop", "globex"), 150),
            change("pod/shop/db-0", null, pod("shop/db-0", "10.0.0.9"), 210),
            change("namespace/shop", namespace("shop", "globex"), namespace("shop", "initech"), 250),
            change("pod/shop/web-2", pod("shop/web-2", "10.0.0.7"), null, 300)));
    private final Map<String, TenantContext> today = Map.of(
            "namespace/shop", namespace("shop", "initech"),
            "pod/shop/db-0", pod("shop/db-0", "10.0.0.9"),
            "pod/cache-0", pod("cache-0", "10.0.0.3"));

    @Test
    void todaysContextWithEveryLaterChangeUndoneIsTheContextAsOfTheStart() {
        ContextReplay.Plan plan = ContextReplay.plan(today, history, 100, 260);
        assertThat(plan.start()).containsOnlyKeys("namespace/shop", "pod/shop/web-1", "pod/cache-0");
        assertThat(plan.start().get("namespace/shop").getTenant()).as("before both relabellings").isEqualTo("acme");
        assertThat(plan.start().get("pod/shop/web-1").getPodIp()).isEqualTo("10.0.0.7");
        assertThat(plan.changes()).extracting(ContextReplay.Change::at).containsExactly(120L, 130L, 150L, 210L, 250L);
        assertThat(plan.changes().get(4).after().getTenant()).isEqualTo("initech");
    }

    @Test
    void aStartBeforeEveryChangeUndoesThemAllAndOneAfterThemIsToday() {
        ContextReplay.Plan early = ContextReplay.plan(today, history, 10, 20);
        assertThat(early.start()).containsOnlyKeys("namespace/shop", "pod/cache-0");
        assertThat(early.start().get("namespace/shop").getTenant()).isEqualTo("acme");
        assertThat(early.changes()).isEmpty();
        ContextReplay.Plan late = ContextReplay.plan(today, history, 400, 500);
        assertThat(late.start()).isEqualTo(today);
        assertThat(late.changes()).isEmpty();
    }

    @Test
    void aChangeAtTheStartBelongsToTheRangeAndTheOrderOfTheHistoryDoesNotMatter() {
        Collections.reverse(history);
        ContextReplay.Plan plan = ContextReplay.plan(today, history, 150, 151);
        assertThat(plan.start().get("namespace/shop").getTenant()).isEqualTo("acme");
        assertThat(plan.changes()).singleElement().satisfies(c -> assertThat(c.after().getTenant()).isEqualTo("globex"));
    }
}
