@{
    # The WslPortProxy module: the same bytes on every server. What a server forwards is data, in
    # WslPortProxy.Settings.psd1 beside the entry scripts; nothing here is generated per server.
    RootModule           = 'WslPortProxy.psm1'
    ModuleVersion        = '0.3.1'
    GUID                 = 'b187c56f-d399-4529-86e7-e45e7cc215d7'
    Author               = 'wsl-portproxy'
    CompanyName          = 'wsl-portproxy'
    Copyright            = '(c) wsl-portproxy contributors. MIT License.'
    Description          = 'Forwards LAN ports of a Windows server to WSL 2 (portproxy, firewall, a watcher task).'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport    = @(
        'Update-WslPortProxy',
        'Get-WslPortProxyStatus',
        'Test-WslPortProxy',
        'Install-WslPortProxy',
        'Uninstall-WslPortProxy',
        'Publish-WslPortProxy',
        'Find-WslPortProxyPort'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    # Every file of the module; the installer checks each against the bundle's manifest.json.
    FileList             = @(
        'WslPortProxy.psd1',
        'WslPortProxy.psm1',
        'Private\Common.ps1',
        'Private\Settings.ps1',
        'Private\Log.ps1',
        'Private\Acl.ps1',
        'Private\Lock.ps1',
        'Private\Wsl.ps1',
        'Private\Podman.ps1',
        'Private\State.ps1',
        'Private\PortProxy.ps1',
        'Private\Firewall.ps1',
        'Private\Reconcile.ps1',
        'Private\Pause.ps1',
        'Private\KeepAlive.ps1',
        'Private\EngineEvents.ps1',
        'Private\Watch.ps1',
        'Private\Listener.ps1',
        'Private\Status.ps1',
        'Private\PublishedPort.ps1',
        'Private\Drift.ps1',
        'Private\Auto.ps1',
        'Private\Metrics.ps1',
        'Private\Fleet.ps1',
        'Private\Preflight.ps1',
        'Private\InstallFolder.ps1',
        'Private\Bundle.ps1',
        'Private\Task.ps1',
        'Private\FirstRun.ps1',
        'Public\Update-WslPortProxy.ps1',
        'Public\Get-WslPortProxyStatus.ps1',
        'Public\Test-WslPortProxy.ps1',
        'Public\Install-WslPortProxy.ps1',
        'Public\Uninstall-WslPortProxy.ps1',
        'Public\Publish-WslPortProxy.ps1',
        'Public\Find-WslPortProxyPort.ps1',
        'en-US\about_WslPortProxy.help.txt'
    )
    PrivateData          = @{
        PSData = @{
            Tags       = @('WSL', 'portproxy', 'Podman', 'firewall', 'Windows')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
