namespace Isthmus.Tests.Configuration;

/// <summary><c>findEntity()</c> and <c>linkedEntity()</c> calls with names written as text are checked when the configuration loads.</summary>
public class EntityLookupCheckTests
{
    private const string Model = """
        connections:
          oa: { kind: webhook }
          oa-api: { kind: http, baseUrl: "http://127.0.0.1:9100" }
        entities:
          Project:
            fields: { name: string, chatGroup: string, owner: string }
            match: [chatGroup]
            mappings:
              oa-api:
                records: projects
                fields: { name: title, chatGroup: im_group }

        """;

    private static string Flow(string when) => Model + $$"""
        flows:
          f:
            trigger: { connection: oa }
            when: "{{when}}"
            steps:
              - transform: t
                value: 1
        """;

    [Fact]
    public void Lookups_by_a_match_field_by_id_by_link_or_by_computed_names_load()
    {
        Configs.Valid(Flow("findEntity('Project', 'chatGroup', data.chat.id) != null"));
        Configs.Valid(Flow("findEntity('Project', 'id', data.id) && linkedEntity('Project', 'oa-api', data.recordId)"));
        Configs.Valid(Flow("findEntity(data.entity, data.field, data.value)"));
    }

    [Fact]
    public void A_misspelt_entity_a_field_without_an_index_or_a_foreign_connection_is_reported_where_it_is_written()
    {
        Assert.Equal(["isthmus.yaml:15:12: flows.f: findEntity: there is no entity 'Projet'; did you mean 'Project'?"],
            Configs.Errors(Flow("findEntity('Projet', 'chatGroup', data.x)")));
        Assert.Equal(["isthmus.yaml:15:12: flows.f: findEntity: Project.owner is not indexed for lookups; add \"match: [owner]\" to entity Project (a match rule of that field alone), or look up by 'id'"],
            Configs.Errors(Flow("findEntity('Project', 'owner', data.x)")));
        Assert.Equal(["isthmus.yaml:15:12: flows.f: findEntity: entity Project has no field 'group'"],
            Configs.Errors(Flow("findEntity('Project', 'group', data.x)")));
        Assert.Equal(["isthmus.yaml:15:12: flows.f: linkedEntity: entity Project has no mapping to connection 'oa'; it maps to oa-api"],
            Configs.Errors(Flow("linkedEntity('Project', 'oa', data.recordId)")));
        Assert.Equal(["isthmus.yaml:15:12: flows.f: findEntity takes (entity, field, value), e.g. findEntity('Project', 'chatGroup', data.chat.id); it was given 2 argument(s)"],
            Configs.Errors(Flow("findEntity('Project', 'chatGroup')")));
    }

    [Fact]
    public void Steps_and_nested_branches_are_checked_too()
    {
        var errors = Configs.Errors(Model + """
            flows:
              f:
                trigger: { connection: oa }
                steps:
                  - if: "true"
                    then:
                      - transform: p
                        value: { project: "=findEntity('Task', 'id', data.id)" }
            """);
        Assert.Equal(["isthmus.yaml:19:33: flows.f: findEntity: there is no entity 'Task'; declared: Project"], errors);
    }

    [Fact]
    public void A_lookup_in_a_mapping_is_reported_as_flows_only()
    {
        var errors = Configs.Errors(Model.Replace("chatGroup: im_group }", "chatGroup: { path: im_group, in: \"findEntity('Project', 'id', value)?.chatGroup\" } }", StringComparison.Ordinal));
        Assert.Single(errors);
        Assert.EndsWith("entities.Project: findEntity() reads the model and works in flows only, not in rules, mappings or changes:", errors[0], StringComparison.Ordinal);
    }
}
