import { createLambdaContext } from '../../../../shared/devTools/localPlatform/lambdaContext';

describe('createLambdaContext', () => {
  it('describes the function as Lambda would', () => {
    // Act
    const context = createLambdaContext({ functionName: 'inference-platform-local-health', memorySize: 128, timeoutSeconds: 3 });

    // Assess
    expect(context).toMatchObject({
      functionName: 'inference-platform-local-health',
      functionVersion: '$LATEST',
      memoryLimitInMB: '128',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:inference-platform-local-health',
      logGroupName: '/aws/lambda/inference-platform-local-health',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it('counts the remaining time down from the timeout, from the start of the invocation', () => {
    // Prepare
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const context = createLambdaContext({ functionName: 'f', memorySize: 128, timeoutSeconds: 29 });

      // Act
      const atStart = context.getRemainingTimeInMillis();
      jest.advanceTimersByTime(10_500);
      const later = context.getRemainingTimeInMillis();
      jest.advanceTimersByTime(60_000);
      const afterDeadline = context.getRemainingTimeInMillis();

      // Assess
      expect(atStart).toBe(29_000);
      expect(later).toBe(18_500);
      expect(afterDeadline).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('starts the clock at startedAt when given', () => {
    // Act
    const context = createLambdaContext({ functionName: 'f', memorySize: 128, timeoutSeconds: 5, startedAt: Date.now() - 2_000 });

    // Assess
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(3_000);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(2_500);
  });

  it('sends the legacy succeed/fail/done calls to the runtime callback', () => {
    // Prepare
    const onDone = jest.fn();
    const context = createLambdaContext({ functionName: 'f', memorySize: 128, timeoutSeconds: 5, onDone });

    // Act
    context.succeed({ ok: true });
    context.fail('boom');

    // Assess
    expect(onDone).toHaveBeenNthCalledWith(1, undefined, { ok: true });
    expect(onDone.mock.calls[1]?.[0]).toEqual(new Error('boom'));
  });
});
