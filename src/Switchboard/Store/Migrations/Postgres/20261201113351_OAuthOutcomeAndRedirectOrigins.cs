using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Store.Migrations.Postgres
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
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "AllowedRedirectOriginsJson",
                table: "integrations",
                type: "text",
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
