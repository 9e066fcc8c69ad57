using System.Text.Json;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Options;
using Switchboard.Http.Outbound;

namespace Switchboard.Credentials;

/// <summary>
/// STS AssumeRole (SigV4-signed by the AWS SDK) against the provider's STS endpoint (its api_base_url). The SDK sends
/// through the guarded outbound client (its HttpClientFactory hook), never through an HttpClient of its own.
/// </summary>
public sealed class AwsAssumeRole(OutboundHttp outbound, IOptions<OAuthOptions> options, ILogger<AwsAssumeRole> logger)
{
    public async Task<TokenOutcome> AssumeAsync(IntegrationApp app, CancellationToken ct)
    {
        var region = app.Param("region") ?? "us-east-1";
        AWSCredentials baseCredentials = app.Secret("session_token") is { Length: > 0 } session
            ? new SessionAWSCredentials(app.Secret("access_key_id"), app.Secret("secret_access_key"), session)
            : new BasicAWSCredentials(app.Secret("access_key_id"), app.Secret("secret_access_key"));
        if (app.Url(app.Provider.ApiBaseUrl) is not { } serviceUrl) return TokenOutcome.Fail(TokenFailureKind.Rejected, "invalid_provider_url");
        var config = new AmazonSecurityTokenServiceConfig
        {
            ServiceURL = serviceUrl.AbsoluteUri,
            AuthenticationRegion = region,
            Timeout = options.Value.TokenRequestTimeout,
            MaxErrorRetry = 0,
            HttpClientFactory = new GuardedAwsHttpClientFactory(outbound),
        };
        using var sts = new AmazonSecurityTokenServiceClient(baseCredentials, config);
        var request = new AssumeRoleRequest
        {
            RoleArn = app.Param("role_arn"),
            RoleSessionName = app.Param("session_name") ?? "switchboard",
            DurationSeconds = int.TryParse(app.Param("duration_seconds"), out var d) ? d : 3600,
        };
        if (app.Param("external_id") is { Length: > 0 } external) request.ExternalId = external;
        try
        {
            var response = await sts.AssumeRoleAsync(request, ct);
            var c = response.Credentials;
            var blob = JsonSerializer.Serialize(new AwsCredentialsBlob(c.AccessKeyId, c.SecretAccessKey, c.SessionToken));
            return TokenOutcome.Ok(new TokenSet(blob, null, "aws", c.Expiration?.ToUniversalTime(), null));
        }
        catch (Exception e) when (OutboundBlockedException.FindIn(e) is { } blocked)
        {
            logger.LogWarning("STS AssumeRole to {Host} refused: not an allowed destination", blocked.Host);
            return TokenOutcome.Blocked(blocked.Host);
        }
        catch (AmazonSecurityTokenServiceException e)
        {
            var code = TokenClient.SafeCode(e.ErrorCode) ?? "sts_error";
            logger.LogWarning("STS AssumeRole failed: {Code} ({Status})", code, (int)e.StatusCode);
            return TokenOutcome.Fail((int)e.StatusCode >= 500 || e.StatusCode == System.Net.HttpStatusCode.TooManyRequests
                ? TokenFailureKind.Transient : TokenFailureKind.Rejected, code);
        }
        catch (Exception e) when (e is HttpRequestException or AmazonServiceException or AmazonClientException
                                      or OperationCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("STS AssumeRole failed: {Error}", e.GetType().Name);
            return TokenOutcome.Fail(TokenFailureKind.Transient, "network_error");
        }
    }
}

/// <summary>Hands the AWS SDK clients of the guarded outbound client (already pooled by the client factory, so no SDK caching).</summary>
internal sealed class GuardedAwsHttpClientFactory(OutboundHttp outbound) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var client = outbound.CreateClient();
        if (clientConfig.Timeout is { } timeout) client.Timeout = timeout;
        return client;
    }

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
}

public sealed record AwsCredentialsBlob(
    [property: System.Text.Json.Serialization.JsonPropertyName("accessKeyId")] string AccessKeyId,
    [property: System.Text.Json.Serialization.JsonPropertyName("secretAccessKey")] string SecretAccessKey,
    [property: System.Text.Json.Serialization.JsonPropertyName("sessionToken")] string SessionToken);
