package dev.bulwark.sigma;

import java.util.List;

/**
 * Turns one rule document into a {@link SigmaRule}, checking types and mandatory keys.
 *
 * <p>Why: the document-level half of {@link SigmaRuleLoader}; unknown top-level keys are allowed (the specification
 * permits custom attributes), wrong types and missing mandatory keys are not.
 */
final class RuleParser {

    static final List<String> STATUSES = List.of("stable", "test", "experimental", "deprecated", "unsupported");
    static final List<String> LEVELS = List.of("informational", "low", "medium", "high", "critical");

    private RuleParser() {
    }

    static SigmaRule parse(YamlNode.MapNode doc) throws SigmaRuleException {
        String title = YamlReader.requiredString(doc, "title", "the rule");
        SigmaLogsource logsource = logsource(doc, "the rule");
        if (logsource.product() == null && logsource.category() == null && logsource.service() == null) {
            throw new SigmaRuleException(doc.get("logsource").location(),
                    "'logsource' needs a product, category or service");
        }
        YamlNode detectionNode = doc.get("detection");
        if (detectionNode == null) {
            throw new SigmaRuleException(doc.location(), "the rule has no 'detection'");
        }
        SigmaDetection detection = DetectionParser.parse(detectionNode);
        return new SigmaRule(doc.location(),
                YamlReader.optionalString(doc, "id"),
                YamlReader.optionalString(doc, "name"),
                title,
                YamlReader.optionalChoice(doc, "status", STATUSES),
                YamlReader.optionalChoice(doc, "level", LEVELS),
                YamlReader.optionalString(doc, "description"),
                YamlReader.optionalString(doc, "author"),
                YamlReader.stringList(doc, "references"),
                YamlReader.stringList(doc, "tags"),
                logsource,
                detection,
                YamlReader.stringList(doc, "falsepositives"),
                YamlReader.stringList(doc, "fields"),
                YamlReader.optionalString(doc, "date"),
                YamlReader.optionalString(doc, "modified"),
                YamlReader.optionalBoolean(doc, SigmaRule.SHADOW, false));
    }

    /** The {@code logsource} of a rule or filter document ({@code what} names it in the error when it has none). */
    static SigmaLogsource logsource(YamlNode.MapNode doc, String what) throws SigmaRuleException {
        YamlNode logsourceNode = doc.get("logsource");
        if (logsourceNode == null) {
            throw new SigmaRuleException(doc.location(), what + " has no 'logsource'");
        }
        YamlNode.MapNode logsourceMap = YamlReader.map(logsourceNode, "'logsource'");
        return new SigmaLogsource(
                YamlReader.optionalString(logsourceMap, "product"),
                YamlReader.optionalString(logsourceMap, "category"),
                YamlReader.optionalString(logsourceMap, "service"),
                YamlReader.optionalString(logsourceMap, "definition"));
    }
}
