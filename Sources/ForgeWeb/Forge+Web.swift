import DeployKitServer
import ForgeKit
import ForgeKitServer
public import ForgeServices
public import Hummingbird

/// The forge's HTTP side: the web UI and API (``ForgeWebService``) and the protocols it serves.
extension Forge {
    /// The web UI and API service.
    public func webService<Context: RemoteAddressRequestContext>(context: Context.Type = Context.self) -> ForgeWebService<Context> {
        ForgeWebService(repositories: repositories, accounts: accounts, runs: runs, deployments: deployments,
                        pipelines: (dispatcher, configurationLoader), deploySetups: deploymentSetups,
                        options: .init(publicURL: options.publicURL), logger: logger)
    }

    /// Adds Git and Mercurial HTTP (as middleware), DeployKit's runner API, then the UI and API, to `router`.
    public func addRoutes<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
        router.add(middleware: GitHTTPService<Context>(repositories: repositories, accounts: accounts, backend: gitBackend, logger: logger))
        router.add(middleware: MercurialHTTPService<Context>(repositories: repositories, accounts: accounts, backend: hgBackend, logger: logger))
        // Without a configured token the deployment API gets one nobody knows: only runners get in.
        let apiToken = options.deploymentAPIToken ?? TokenGenerator.generate()
        DeploymentHTTPService(controller: deployments, options: .init(apiToken: apiToken), logger: logger).addRoutes(to: router)
        webService(context: Context.self).addRoutes(to: router)
    }
}
