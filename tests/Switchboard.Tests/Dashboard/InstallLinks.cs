using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Store;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Dashboard;

/// <summary>Helpers for tests of install links and the hosted install page.</summary>
public static partial class InstallLinks
{
    public static async Task<string> CreateAsync(TestAccount account, string provider, string? projectId = null)
    {
        var response = await account.Client().PostAsync($"/api/v1/projects/{projectId ?? account.ProjectId}/integrations/{provider}/install-url", null);
        var body = await response.ShouldBe(HttpStatusCode.OK);
        return body["data"]!["install_url"]!.GetValue<string>();
    }

    /// <summary>The path part (/connect/TOKEN) of an install URL, for clients that talk to the in-memory test server.</summary>
    public static string PathOf(string installUrl) => new Uri(installUrl).AbsolutePath;

    public static string Nonce(string html) => NonceInput().Match(html) is { Success: true } m
        ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new InvalidOperationException("no nonce in page");

    public static Task<HttpResponseMessage> SubmitAsync(HttpClient client, string path, string nonce, params (string Name, string Value)[] fields)
    {
        var all = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).Append(new("_nonce", nonce));
        return client.PostAsync(path, new FormUrlEncodedContent(all));
    }

    /// <summary>
    /// A second project in the account. Inserted directly: the projects API is built on another branch.
    /// </summary>
    public static async Task<string> AddProjectAsync(SwitchboardApp app, string accountId, string name)
    {
        var now = DateTime.UtcNow;
        var project = new Project { Id = Ids.New("prj"), AccountId = accountId, Name = name, CreatedAt = now, UpdatedAt = now };
        await app.WriteDbAsync(db =>
        {
            db.Projects.Add(project);
            return db.SaveChangesAsync();
        });
        return project.Id;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"_nonce\" value=\"([^\"]+)\">")]
    private static partial Regex NonceInput();
}
