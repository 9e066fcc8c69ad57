using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Store.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class OAuthOutcomeAndRedirectOrigins : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Outcome",
                table: "oauth_sessions",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AllowedRedirectOriginsJson",
                table: "integrations",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Outcome",
                table: "oauth_sessions");

            migrationBuilder.DropColumn(
                name: "AllowedRedirectOriginsJson",
                table: "integrations");
        }
    }
}
