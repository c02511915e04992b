package dev.bulwark.detectors.api;

import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Counter;

/**
 * Meters for one detector, named {@code bulwark.detect.<detector>.<name>} (in Prometheus
 * {@code bulwark_detect_<detector>_<name>}).
 *
 * <p>Why: operators find every detector's meters under one prefix, and two detectors cannot register the same name.
 */
public interface DetectorMetrics {

    /**
     * A counter; calling this again with the same name returns the same counter.
     *
     * @param name dot-separated lowercase words, e.g. {@code rules.rejected}
     * @param description one line for the metrics endpoint's help text
     */
    Counter counter(String name, String description);

    /**
     * A gauge that reads {@code value} from {@code state} whenever it is scraped. The gauge holds {@code state} only
     * weakly, as Micrometer gauges do: keep your own reference to it.
     */
    <T> void gauge(String name, String description, T state, ToDoubleFunction<T> value);
}
