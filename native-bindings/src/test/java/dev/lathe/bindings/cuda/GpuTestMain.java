package dev.lathe.bindings.cuda;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Runs the {@code gpu}-tagged tests under {@code dev.lathe} without Maven (the GPU machine has only the bundled
 * runtime): prints JUnit's summary to stderr and one line {@code {"passed":P,"failed":F,"skipped":S}} to stdout.
 * Exit status 1 when a test failed.
 */
public final class GpuTestMain {
    public static void main(String[] args) {
        var request = LauncherDiscoveryRequestBuilder.request().selectors(selectPackage("dev.lathe"))
                .filters(TagFilter.includeTags("gpu")).build();
        var summary = new SummaryGeneratingListener();
        TestExecutionListener skips = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
                    System.err.println("skipped " + id.getDisplayName() + ": "
                            + result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
                }
            }
        };
        LauncherFactory.create().execute(request, summary, skips);
        var s = summary.getSummary();
        s.printTo(new PrintWriter(System.err, true));
        s.printFailuresTo(new PrintWriter(System.err, true), 30);
        System.out.printf("{\"passed\":%d,\"failed\":%d,\"skipped\":%d}%n", s.getTestsSucceededCount(),
                s.getTestsFailedCount() + s.getContainersFailedCount(), s.getTestsSkippedCount() + s.getTestsAbortedCount()
                        + s.getContainersAbortedCount());
        System.exit(s.getTestsFailedCount() + s.getContainersFailedCount() > 0 ? 1 : 0);
    }
}
