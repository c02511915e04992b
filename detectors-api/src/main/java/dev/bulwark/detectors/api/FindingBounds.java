package dev.bulwark.detectors.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.MitreAttack;

/**
 * Keeps every finding within a size bound, well below the findings topic's {@code max.message.bytes}: long text is cut
 * (with an ellipsis) and lists are shortened, and {@code evidence.truncated} says so.
 *
 * <p>Why: findings quote what attackers control (command lines, paths, namespaces, image names). A 900 KB command line
 * made a 1.8 MB finding that Kafka refused; the stream thread died on it again and again. Every finding the detectors
 * build ({@link FindingBuilder}) and every finding that leaves the topology passes through {@link #cap}.
 */
public final class FindingBounds {

    /** The default bound of one serialized finding. */
    public static final int DEFAULT_MAX_BYTES = 256 * 1024;
    /** The smallest bound that can be configured. */
    public static final int MIN_MAX_BYTES = 16 * 1024;

    private static final AvroSerde<Finding> SERDE = AvroSerde.of(Finding.class);
    private static final int MAX_LIST = 64;
    private static final int MAX_EVENT_IDS = 100;
    private static final String ELLIPSIS = "…";

    private FindingBounds() {
    }

    /** The finding within {@link #DEFAULT_MAX_BYTES}. */
    public static Finding cap(Finding finding) {
        return cap(finding, DEFAULT_MAX_BYTES);
    }

    /**
     * The finding within {@code maxBytes} serialized: unchanged when it fits and no single text is absurdly long,
     * otherwise with texts cut ever shorter until it fits, as a last resort without evidence fields; marked
     * {@code evidence.truncated}.
     */
    public static Finding cap(Finding finding, int maxBytes) {
        if (maxBytes < MIN_MAX_BYTES) {
            throw new IllegalArgumentException("a finding's bound must be at least " + MIN_MAX_BYTES + " bytes");
        }
        // Texts are cut to a share of the bound first, so one field cannot take it all; then halved until it fits.
        int textCap = Math.max(256, maxBytes / 16);
        Finding capped = cut(finding, textCap, MAX_LIST, MAX_EVENT_IDS, true);
        boolean wasTruncated = finding.getEvidence() != null && finding.getEvidence().getTruncated();
        if (capped.getEvidence().getTruncated() == wasTruncated && size(finding) <= maxBytes) {
            return finding; // nothing to cut: the common case
        }
        while (size(capped) > maxBytes && textCap > 64) {
            textCap /= 2;
            capped = cut(finding, textCap, MAX_LIST / 2, MAX_EVENT_IDS / 4, true);
        }
        if (size(capped) > maxBytes) {
            capped = cut(finding, 64, 4, 4, false);
        }
        return capped;
    }

    private static int size(Finding finding) {
        return SERDE.serialize("bounds", finding).length;
    }

    private static Finding cut(Finding f, int textCap, int listCap, int idCap, boolean keepFields) {
        boolean[] cut = {f.getEvidence() != null && f.getEvidence().getTruncated()};
        Map<String, String> fields = new LinkedHashMap<>();
        if (f.getEvidence() != null) {
            for (Map.Entry<String, String> field : f.getEvidence().getFields().entrySet()) {
                if (!keepFields || fields.size() >= listCap) {
                    cut[0] = true;
                    break;
                }
                fields.put(text(field.getKey(), 256, cut), text(field.getValue(), textCap, cut));
            }
        }
        List<String> eventIds = f.getEvidence() == null ? List.of() : list(f.getEvidence().getEventIds(), idCap, 256, cut);
        Finding.Builder builder = Finding.newBuilder(f)
                .setId(text(f.getId(), 256, cut))
                .setDetector(text(f.getDetector(), 256, cut))
                .setRule(FindingRule.newBuilder(f.getRule()).setId(text(f.getRule().getId(), 512, cut))
                        .setName(text(f.getRule().getName(), 1024, cut))
                        .setVersion(text(f.getRule().getVersion(), 64, cut)).build())
                .setSeverity(text(f.getSeverity(), 32, cut))
                .setMitre(MitreAttack.newBuilder().setTactics(list(f.getMitre().getTactics(), listCap, 128, cut))
                        .setTechniques(list(f.getMitre().getTechniques(), listCap, 128, cut)).build())
                .setTenant(text(f.getTenant(), 256, cut))
                .setOtherTenants(list(f.getOtherTenants(), listCap, 256, cut))
                .setSummary(text(f.getSummary(), Math.max(256, Math.min(textCap, 4096)), cut))
                .setCluster(text(f.getCluster(), 1024, cut))
                .setNamespace(text(f.getNamespace(), Math.min(textCap, 1024), cut))
                .setPod(text(f.getPod(), Math.min(textCap, 1024), cut))
                .setContainerId(text(f.getContainerId(), Math.min(textCap, 1024), cut))
                .setImage(text(f.getImage(), Math.min(textCap, 2048), cut));
        Evidence evidence = Evidence.newBuilder().setEventIds(eventIds).setFields(fields).setTruncated(cut[0]).build();
        return builder.setEvidence(evidence).build();
    }

    private static String text(String value, int cap, boolean[] cut) {
        if (value == null || value.length() <= cap) {
            return value;
        }
        cut[0] = true;
        int end = cap - 1;
        if (Character.isHighSurrogate(value.charAt(end - 1))) {
            end--; // never split a surrogate pair
        }
        return value.substring(0, end) + ELLIPSIS;
    }

    private static List<String> list(List<String> values, int cap, int textCap, boolean[] cut) {
        List<String> kept = new ArrayList<>(Math.min(values.size(), cap));
        for (String value : values) {
            if (kept.size() >= cap) {
                cut[0] = true;
                break;
            }
            kept.add(text(value, textCap, cut));
        }
        return kept;
    }
}
