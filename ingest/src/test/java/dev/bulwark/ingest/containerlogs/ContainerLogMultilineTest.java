package dev.bulwark.ingest.containerlogs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.containerlogs.Multiline.State;

class ContainerLogMultilineTest {

    /** How many groups the messages form, following the framer's use of the heuristic. */
    private static int groups(List<String> messages) {
        int groups = 0;
        State state = null;
        for (String message : messages) {
            if (state != null && Multiline.continues(state, message)) {
                state = Multiline.after(state, message);
            } else {
                groups++;
                state = Multiline.start(message);
            }
        }
        return groups;
    }

    @Test
    void shouldTreatIndentedLinesFramesAndCausesAsContinuations() {
        for (String line : List.of("\tat com.example.A.b(A.java:1)", "    at Object.<anonymous> (/app/x.js:1:7)",
                "at com.example.A.b(A.java:1)", "Caused by: java.lang.RuntimeException: x", "\t... 12 more",
                "... 3 common frames omitted", "Suppressed: java.io.IOException", "  File \"x.py\", line 1, in <module>",
                "", "   ", "goroutine 7 [chan receive]:", "goroutine 1 gp=0xc000002380 m=0 mp=0x5e1140 [running]:",
                "During handling of the above exception, another exception occurred:",
                "The above exception was the direct cause of the following exception:")) {
            assertThat(Multiline.continues(State.PLAIN, line)).as(line).isTrue();
        }
    }

    @Test
    void shouldStartANewMessageForOrdinaryLines() {
        for (String line : List.of("INFO started", "at noon we restart", "at (weird", "java.lang.IllegalStateException: x",
                "Traceback (most recent call last):", "main.main()", "panic: boom", "{\"level\":\"info\"}",
                "Exception in thread \"main\" java.lang.Error", "goroutine leak detected")) {
            assertThat(Multiline.continues(State.PLAIN, line)).as(line).isFalse();
        }
    }

    @Test
    void shouldGroupAPythonTracebackUpToItsExceptionLine() {
        assertThat(groups(List.of(
                "Traceback (most recent call last):",
                "  File \"/app/main.py\", line 3, in <module>",
                "    main()",
                "KeyError: 'user'",
                "GET /health 200"))).isEqualTo(2);
        assertThat(Multiline.start("Traceback (most recent call last):")).isEqualTo(State.PYTHON_TRACEBACK);
        // Inside the traceback even an unindented line belongs to it (the exception), after it not.
        assertThat(Multiline.continues(State.PYTHON_TRACEBACK, "KeyError: 'user'")).isTrue();
        assertThat(Multiline.after(State.PYTHON_TRACEBACK, "KeyError: 'user'")).isEqualTo(State.PLAIN);
        assertThat(Multiline.continues(State.PYTHON_CHAINED, "Traceback (most recent call last):")).isTrue();
        assertThat(Multiline.continues(State.PLAIN, "Traceback (most recent call last):")).isFalse();
    }

    @Test
    void shouldGroupAGoPanicButNotFunctionLikeLinesOutsideADump() {
        assertThat(groups(List.of(
                "panic: assignment to entry in nil map",
                "",
                "goroutine 1 [running]:",
                "main.main()",
                "\t/tmp/sandbox/prog.go:5 +0x2e",
                "exit status 2"))).isEqualTo(2);
        assertThat(Multiline.continues(State.GO_DUMP, "net/http.(*conn).serve(0xc0000a8000, {0x6e5b18, 0xc0000b6000})")).isTrue();
        assertThat(Multiline.continues(State.PLAIN, "net/http.(*conn).serve(0xc0000a8000)")).isFalse();
        assertThat(Multiline.continues(State.GO_DUMP, "created by net/http.(*Server).Serve in goroutine 1")).isTrue();
    }

    @Test
    void shouldDecideQuicklyOnHostileLines() {
        String parens = "(".repeat(1 << 20) + ")";
        String frameLike = "at " + "x".repeat(1 << 20);
        String goroutine = "goroutine 1 " + "[".repeat(1 << 20);
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (State state : State.values()) {
                Multiline.continues(state, parens);
                Multiline.continues(state, frameLike);
                Multiline.continues(state, goroutine);
                Multiline.after(state, goroutine);
                Multiline.start(goroutine);
            }
        });
    }
}
