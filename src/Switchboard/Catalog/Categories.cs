namespace Switchboard.Catalog;

/// <summary>The categories a provider may have (provider.schema.json) and the list filters accept.</summary>
public static class Categories
{
    public static readonly string[] All =
    [
        "payments", "commerce", "communication", "developer_tools", "crm", "productivity", "project_management", "support",
        "email", "telephony", "cloud", "analytics", "marketing", "storage", "scheduling", "ai", "accounting", "hr", "security", "other",
    ];
}
