'use strict';

/**
 * Stage-wide throttling for the REST API osls generates. osls has no setting for it, and
 * the stage is created by an AWS::ApiGateway::Deployment whose logical id changes on every
 * package (so `resources.extensions` cannot name it). After the API Gateway events are
 * compiled, this writes `custom.apiThrottling` ({ rateLimit, burstLimit }) into that
 * Deployment's StageDescription, which API Gateway applies to every method of the stage.
 * It also makes the Deployment wait for the gateway responses of `resources`, so a deploy
 * that changes one publishes it in the same stage update.
 */
class RestApiThrottling {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:compileEvents': () => this.addThrottling() };
  }

  addThrottling() {
    const throttling = (this.serverless.service.custom || {}).apiThrottling;
    if (!throttling) return;
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    const deployments = Object.values(resources).filter((resource) => resource.Type === 'AWS::ApiGateway::Deployment');
    if (deployments.length !== 1)
      throw new Error(`restApiThrottling: expected one AWS::ApiGateway::Deployment, found ${deployments.length}`);
    deployments[0].Properties.StageDescription = {
      ...(deployments[0].Properties.StageDescription || {}),
      ThrottlingRateLimit: Number(throttling.rateLimit),
      ThrottlingBurstLimit: Number(throttling.burstLimit),
    };
    const custom = (this.serverless.service.resources || {}).Resources || {};
    const gatewayResponses = Object.keys(custom).filter((id) => custom[id] && custom[id].Type === 'AWS::ApiGateway::GatewayResponse');
    deployments[0].DependsOn = [...[deployments[0].DependsOn || []].flat(), ...gatewayResponses];
  }
}

module.exports = RestApiThrottling;
