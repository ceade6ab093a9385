// A jest reporter that ends the run with every suite's run time, slowest first, so a suite that
// grows slow is seen in CI's log (jest's default reporter shows a time only beside slow suites).
class SuiteTimesReporter {
	onRunComplete(_contexts, results) {
		const rows = results.testResults
			.map((suite) => ({
				file: suite.testFilePath.replace(`${process.cwd()}/`, ''),
				seconds: (suite.perfStats.end - suite.perfStats.start) / 1000,
				tests: suite.numPassingTests + suite.numFailingTests + suite.numPendingTests,
			}))
			.sort((a, b) => b.seconds - a.seconds);
		if (!rows.length) return;
		const total = rows.reduce((sum, row) => sum + row.seconds, 0);
		const lines = rows.map((row) => `${row.seconds.toFixed(1).padStart(7)} s  ${String(row.tests).padStart(4)} tests  ${row.file}`);
		process.stderr.write(`\nSuite run times (${rows.length} suites, ${total.toFixed(0)} s summed over workers):\n${lines.join('\n')}\n`);
	}
}

module.exports = SuiteTimesReporter;
