/**
 * Opt-in edge protection (CDK context `edgeProtection=true`): CloudFront in
 * front of the HTTP and WebSocket APIs, with an AWS WAF web ACL of rate-based
 * rules, so floods from one address or one token are refused at the edge
 * before they reach API Gateway or Lambda (issue 13 item 6).
 *
 * Why: the API Gateway stage throttle (`httpRateLimit`, `wsRateLimit`) is one
 * bucket shared by every caller, so one abuser can exhaust it for everyone;
 * the per-user limits of `functions/domain/limits.ts` hold per user but each
 * refused request still costs an invocation. AWS WAF cannot be attached to
 * HTTP or WebSocket APIs directly (only to REST APIs, ALBs, AppSync and
 * CloudFront), hence CloudFront.
 *
 * The web ACL (scope `CLOUDFRONT`, which AWS only accepts in us-east-1):
 * - `RatePerIp`: at most `edgeIpRateLimit` requests per 5 minutes per client IP;
 * - `RatePerToken`: at most `edgeTokenRateLimit` requests per 5 minutes per
 *   bearer token (the `Authorization` header, or the `token` query argument of
 *   a WebSocket upgrade), whichever address it comes from;
 * - `IpReputation`: AWS's managed Amazon IP reputation list.
 * WebSocket frames after the upgrade are not seen by WAF: the per-user limits
 * and the typing throttle handle those.
 *
 * Clients then use the `EdgeHttpApiUrl` and `EdgeWebSocketUrl` outputs. The
 * `execute-api` endpoints stay reachable: to close that bypass, put a custom
 * domain on CloudFront and restrict the APIs (README "Abuse protection").
 * A stack outside us-east-1 passes `edgeWebAclArn` (a `CLOUDFRONT` web ACL
 * created in us-east-1) instead of having one created.
 */
import { Aws, CfnOutput, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type { HttpApi, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface EdgeProtectionProps {
  readonly httpApi: HttpApi;
  readonly webSocketApi: WebSocketApi;
  readonly webSocketStage: WebSocketStage;
  /** Requests per 5 minutes per client IP (WAF's minimum is 10). */
  readonly ipRateLimit: number;
  /** Requests per 5 minutes per bearer token. */
  readonly tokenRateLimit: number;
  /** An existing `CLOUDFRONT` web ACL (ARN) instead of creating one. */
  readonly webAclArn?: string;
}

/** WAF rate-based rules count over this window (seconds). */
const RATE_WINDOW_SECONDS = 300;

export class EdgeProtection extends Construct {
  readonly httpDistribution: cloudfront.Distribution;
  readonly webSocketDistribution: cloudfront.Distribution;
  /** Created unless `webAclArn` was given. */
  readonly webAcl?: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeProtectionProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (!props.webAclArn && !Token.isUnresolved(region) && region !== 'us-east-1') {
      throw new Error(`Context edgeProtection creates a CloudFront web ACL, which AWS WAF only accepts in us-east-1 (this stack is in ${region}): create one there and pass its ARN as edgeWebAclArn`);
    }
    if (!props.webAclArn) this.webAcl = this.createWebAcl(props);
    const webAclId = props.webAclArn ?? this.webAcl!.attrArn;

    const apiDomain = (apiId: string) => `${apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;
    const origin = (apiId: string, originPath?: string) =>
      new origins.HttpOrigin(apiDomain(apiId), {
        originPath,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        readTimeout: Duration.seconds(30),
      });
    const behavior = (o: origins.HttpOrigin): cloudfront.BehaviorOptions => ({
      origin: o,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      // Every answer is per caller: nothing is cached.
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      // Headers (Authorization, CORS) and query strings (?token=) go through; Host must be API Gateway's own.
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      compress: false,
    });
    const distribution = (name: string, comment: string, o: origins.HttpOrigin) => {
      const d = new cloudfront.Distribution(this, name, {
        comment,
        defaultBehavior: behavior(o),
        webAclId,
        httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
        priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      });
      Validations.of(d).acknowledge(
        { id: 'AwsSolutions-CFR1', reason: 'Chat users are everywhere; restrict countries with the web ACL or a geo restriction if yours are not.' },
        {
          id: 'AwsSolutions-CFR3',
          reason: 'CloudFront standard logs record query strings, and a WebSocket upgrade carries its bearer token in ?token=; the API access logs (which never log it) and WAF metrics cover requests.',
        },
        { id: 'AwsSolutions-CFR4', reason: 'The default *.cloudfront.net certificate cannot pin a TLS policy; put a custom domain with TLSv1.2_2021 on the distribution for that (README "Abuse protection").' },
      );
      return d;
    };
    this.httpDistribution = distribution('HttpDistribution', 'Chat HTTP API behind AWS WAF rate rules', origin(props.httpApi.apiId));
    // The WebSocket stage is the origin path: clients connect to wss://<distribution>/?token=.
    this.webSocketDistribution = distribution('WebSocketDistribution', 'Chat WebSocket API behind AWS WAF rate rules', origin(props.webSocketApi.apiId, `/${props.webSocketStage.stageName}`));

    new CfnOutput(Stack.of(this), 'EdgeHttpApiUrl', { value: `https://${this.httpDistribution.distributionDomainName}`, description: 'HTTP API base URL through CloudFront + WAF' });
    new CfnOutput(Stack.of(this), 'EdgeWebSocketUrl', { value: `wss://${this.webSocketDistribution.distributionDomainName}`, description: 'WebSocket URL through CloudFront + WAF (?token=<JWT>)' });
  }

  private createWebAcl(props: EdgeProtectionProps): wafv2.CfnWebACL {
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: false });
    const rate = (name: string, priority: number, limit: number, statement: Partial<wafv2.CfnWebACL.RateBasedStatementProperty>): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      action: { block: { customResponse: { responseCode: 429, responseHeaders: [{ name: 'retry-after', value: String(RATE_WINDOW_SECONDS) }] } } },
      statement: { rateBasedStatement: { limit, evaluationWindowSec: RATE_WINDOW_SECONDS, aggregateKeyType: 'IP', ...statement } },
      visibilityConfig: visibility(name),
    });
    const tokenKey = (key: wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty) => ({
      aggregateKeyType: 'CUSTOM_KEYS',
      customKeys: [key],
    });
    const none = [{ priority: 0, type: 'NONE' }];
    return new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      // WAF allows letters, digits, spaces and `+=:#@/-,.` only (no parentheses): a bad character fails the deploy.
      description: 'Chat: rate limits per client IP and per bearer token',
      // Sampled requests would keep request details, bearer tokens included.
      visibilityConfig: visibility('ChatEdge'),
      rules: [
        {
          name: 'IpReputation',
          priority: 0,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesAmazonIpReputationList' } },
          visibilityConfig: visibility('IpReputation'),
        },
        rate('RatePerIp', 1, props.ipRateLimit, {}),
        rate('RatePerToken', 2, props.tokenRateLimit, tokenKey({ header: { name: 'authorization', textTransformations: none } })),
        rate('RatePerWebSocketToken', 3, props.tokenRateLimit, tokenKey({ queryArgument: { name: 'token', textTransformations: none } })),
      ],
    });
  }
}
