using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace CommEazy.Tests.Fixtures;

/// <summary>Makes a test run of the AppHost independent of any developer state on the machine.</summary>
internal static class TestingBuilderExtensions
{
    /// <summary>Gives every secret parameter a fresh random value, so nothing comes from the developer's user secrets.</summary>
    public static IDistributedApplicationTestingBuilder WithRandomSecretParameters(this IDistributedApplicationTestingBuilder builder)
    {
        foreach (var parameter in builder.Resources.OfType<ParameterResource>().Where(p => p.Secret))
        {
            builder.Configuration[$"Parameters:{parameter.Name}"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        }
        return builder;
    }

    /// <summary>Renames every named volume to a fresh one (collected in <paramref name="names"/> for removal after the run).</summary>
    public static IDistributedApplicationTestingBuilder WithRandomVolumeNames(this IDistributedApplicationTestingBuilder builder, List<string> names)
    {
        foreach (var resource in builder.Resources.OfType<ContainerResource>())
        {
            foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.Volume && m.Source is not null).ToList())
            {
                var name = $"commeazy-test-{Guid.NewGuid():N}";
                names.Add(name);
                resource.Annotations.Remove(mount);
                resource.Annotations.Add(new ContainerMountAnnotation(name, mount.Target, ContainerMountType.Volume, mount.IsReadOnly));
            }
        }
        return builder;
    }

    /// <summary>Points every project's OTLP export at <paramref name="endpoint"/> (OTLP/HTTP protobuf, exported every half second).</summary>
    public static IDistributedApplicationTestingBuilder WithOtlpExportTo(this IDistributedApplicationTestingBuilder builder, Uri endpoint)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(env =>
            {
                env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint.ToString().TrimEnd('/');
                env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                env["OTEL_BSP_SCHEDULE_DELAY"] = "500";
                env.Remove("OTEL_EXPORTER_OTLP_HEADERS");
            }));
        }
        return builder;
    }
}
