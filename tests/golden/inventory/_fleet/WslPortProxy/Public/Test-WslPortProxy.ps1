function Test-WslPortProxy {
    <#
    .SYNOPSIS
        Checks, before anything is installed, that this server can forward the settings' ports.
    .DESCRIPTION
        Returns one WslPortProxy.PreflightResult per check (see OUTPUTS), and changes nothing.
        The checks (Item):
          'Windows build'  WSL 2 needs build 19041 or later (read from the registry's
                           CurrentBuildNumber); Windows Server 2019 (17763) has only WSL 1
          'WSL package'    %ProgramFiles%\WSL\wsl.exe (WSL 2.0 or later): the inbox or Store
                           wsl.exe cannot be used by a task before anyone logs on
          'podman.exe'     with a podman machine: never a problem; a warning when there is no
                           machine-wide podman.exe (%ProgramFiles%\RedHat\Podman or %ProgramFiles%\Podman),
                           since a per-user one can be replaced by the account's unelevated processes
          '<address:port>' one row per forwarded address and port: the port lies in a range a
                           service reserves (netsh int ipv4 show excludedportrange; an
                           administered exclusion, marked *, is only a warning), another process
                           listens on that address or the wildcard (IP Helper's own listener is
                           fine, and so is WSL's localhost relay on 127.0.0.1 or ::1 beside a
                           wildcard rule), or the listen address is not one of this server's
          'WSL interop'    never a problem; a warning when interop is on in the running distribution
                           (its Linux processes can start Windows programs with the task's elevated
                           token), or when it could not be checked (not running for this account)
        The installer runs the rows above 'WSL interop' first and installs nothing when one is not Ok. What only the
        task's account can see (the distribution registered for it, WSL's networking mode) is
        checked by the task's first run, whose result the installer reports.
    .PARAMETER Settings
        The settings: the path of a WslPortProxy.Settings.psd1 or a table with its keys.
    .EXAMPLE
        Test-WslPortProxy -Settings .\WslPortProxy.Settings.psd1 | Where-Object -FilterScript { -not $_.Ok }

        Lists what stands in the way of installing this bundle here.
    .EXAMPLE
        .\Install-WslPortProxy.ps1 -Preflight

        The same from the bundle folder, without installing; exit code 7 when a check fails.
    .OUTPUTS
        WslPortProxy.PreflightResult
            One per check:
              Item     what was checked (the names above)
              Ok       whether nothing stands in the way
              Problem  '' when Ok, else one sentence per problem saying what is wrong and what to do
              Warning  what may still go wrong although the check passed (an administered port
                       exclusion, no machine-wide podman.exe, interop on), or ''
    .LINK
        Install-WslPortProxy
    .LINK
        about_WslPortProxy
    #>
    [CmdletBinding()]
    [OutputType('WslPortProxy.PreflightResult')]
    param([Parameter(Mandatory, Position = 0)] [object] $Settings)
    $ErrorActionPreference = 'Stop'
    try {
        $config = Import-Settings -Settings $Settings
        Get-PreflightResult -Rule $config.Rules -PodmanMachine:$config.PodmanMachine
        $interop = Get-InteropWarning -Distro $config.Distro -CommandTimeout $config.CommandTimeouts.Wsl
        New-PreflightResult -Item 'WSL interop' -Problem @() -Warning $interop
    }
    catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}
