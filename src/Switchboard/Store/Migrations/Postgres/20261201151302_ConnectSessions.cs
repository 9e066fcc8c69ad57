using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Switchboard.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConnectSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "Credential",
                table: "oauth_connections",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ParamsJson",
                table: "oauth_connections",
                type: "character varying(20000)",
                maxLength: 20000,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "connect_sessions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    AccountId = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    ProjectId = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    EndUserId = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    EndUserEmail = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    EndUserDisplayName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    IntegrationsJson = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    RedirectUri = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    AllowedOriginsJson = table.Column<string>(type: "character varying(7000)", maxLength: 7000, nullable: true),
                    FormNonce = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CompletedIntegration = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ReturnHandleHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    OAuthSessionId = table.Column<Guid>(type: "uuid", nullable: true),
                    OAuthIntegration = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_connect_sessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_connect_sessions_projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_connect_sessions_AccountId_ExpiresAt",
                table: "connect_sessions",
                columns: new[] { "AccountId", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_connect_sessions_ProjectId",
                table: "connect_sessions",
                column: "ProjectId");

            migrationBuilder.CreateIndex(
                name: "IX_connect_sessions_ReturnHandleHash",
                table: "connect_sessions",
                column: "ReturnHandleHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_connect_sessions_TokenHash",
                table: "connect_sessions",
                column: "TokenHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "connect_sessions");

            migrationBuilder.DropColumn(
                name: "Credential",
                table: "oauth_connections");

            migrationBuilder.DropColumn(
                name: "ParamsJson",
                table: "oauth_connections");
        }
    }
}
