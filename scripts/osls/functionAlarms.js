/**
 * An Errors and a Throttles alarm for every function of the service, to the alarm topic.
 * Written after the functions are compiled, so a function added to serverless.yml gets
 * its two alarms without anyone remembering to. `custom.functionAlarms`:
 * { topic: <logical id of the SNS topic>, periodSeconds?: 300 }.
 *
 * - `<Function>ErrorsAlarm`: AWS/Lambda Errors > 0 in a period (an invocation crashed or
 *   timed out; routes answer their own errors, and queue consumers report failed
 *   messages as partial batch failures, so neither counts here).
 * - `<Function>ThrottlesAlarm`: AWS/Lambda Throttles > 0 in a period (an invocation was
 *   refused for concurrency: the account's or the function's reserved limit).
 */
class FunctionAlarms {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:compileEvents': () => this.addAlarms() };
  }

  addAlarms() {
    const settings = (this.serverless.service.custom || {}).functionAlarms;
    if (!settings) return;
    if (typeof settings.topic !== 'string')
      throw new Error("functionAlarms: custom.functionAlarms.topic must name the alarm topic's logical id");
    const period = Number(settings.periodSeconds || 300);
    const naming = this.serverless.getProvider('aws').naming;
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    for (const name of this.serverless.service.getAllFunctions()) {
      const functionId = naming.getLambdaLogicalId(name);
      const prefix = functionId.replace(/LambdaFunction$/, '');
      resources[`${prefix}ErrorsAlarm`] = alarm(
        functionId,
        'Errors',
        period,
        settings.topic,
        `Function ${name} failed (crashed or timed out) in the last ${period} s; see its ERROR log lines.`,
      );
      resources[`${prefix}ThrottlesAlarm`] = alarm(
        functionId,
        'Throttles',
        period,
        settings.topic,
        `Function ${name} was throttled (concurrency limit reached) in the last ${period} s.`,
      );
    }
  }
}

function alarm(functionId, metricName, period, topic, description) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: description,
      Namespace: 'AWS/Lambda',
      MetricName: metricName,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Period: period,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic }],
    },
  };
}

module.exports = FunctionAlarms;
