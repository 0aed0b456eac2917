/** One CloudWatch EMF line, as Powertools Metrics prints it. */
export interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

/** Every EMF line in `output` (other lines, and JSON that is not EMF, are skipped). */
export function emfLines(output: string): EmfLine[] {
  const lines: EmfLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{"_aws"')) continue;
    try {
      lines.push(JSON.parse(text) as EmfLine);
    } catch {
      // A line cut by the end of the output so far.
    }
  }
  return lines;
}

/** The sum of metric `name` over the EMF lines whose properties match `where` (e.g. `{ model: 'x' }`). */
export function emfSum(lines: readonly EmfLine[], name: string, where: Record<string, string> = {}): number {
  return (
    lines
      .filter((line) => line._aws.CloudWatchMetrics.some((directive) => directive.Metrics.some((metric) => metric.Name === name)))
      .filter((line) => Object.entries(where).every(([key, value]) => line[key] === value))
      // A line may carry several values of a metric, as an array (gathered per backend call).
      .reduce((sum, line) => sum + [line[name]].flat().reduce((total: number, value) => total + Number(value), 0), 0)
  );
}
