function Publish-WslPortProxy {
    <#
    .SYNOPSIS
        Pushes each server's bundle over PowerShell remoting and installs it where it is not current.
    .DESCRIPTION
        Runs on an admin's computer, from a fleet folder (dist\_fleet, which wsl-portproxy
        generate writes beside the server bundles). For every server of the fleet, or those
        ComputerName names, ThrottleLimit at a time: opens a session (New-PSSession, WinRM),
        compares the manifest.json the installer left in the install folder with the bundle's,
        and where they differ copies the bundle (Copy-Item -ToSession) and runs its installer
        unattended (Invoke-Command -FilePath files\install-bundle.ps1, the same snippet the
        Ansible playbook runs), then removes the copy. A server already current is left alone.

        Returns one WslPortProxy.DeployResult per server (see OUTPUTS). A server that cannot be
        reached or whose installer fails is 'failed'; the others are still done. With Status, it
        returns instead one WslPortProxy.FleetStatus per forwarded port of every server, from
        Get-WslPortProxyStatus -Report run on each server.
    .PARAMETER FleetPath
        The fleet folder (holds WslPortProxy.Fleet.json; the bundles are its sibling folders).
    .PARAMETER ComputerName
        Only these servers of the fleet.
    .PARAMETER Credential
        For the remoting sessions (default: the current user).
    .PARAMETER TaskPassword
        The password of the task account of servers whose task starts at boot.
    .PARAMETER ThrottleLimit
        How many servers are worked on at once (1-64, default 8).
    .PARAMETER Status
        Gather the status of every server instead of deploying.
    .EXAMPLE
        Publish-WslPortProxy -FleetPath .\dist\_fleet -TaskPassword (Read-Host -AsSecureString 'Task password')

        Installs or upgrades every server whose installed bundle is not the generated one.
    .EXAMPLE
        Publish-WslPortProxy -FleetPath .\dist\_fleet -ComputerName WEB-01, WEB-02 -WhatIf

        Shows which of the two servers would be installed or upgraded, and changes nothing.
    .EXAMPLE
        Publish-WslPortProxy -FleetPath .\dist\_fleet -Status | Where-Object -FilterScript { $_.State -ne 'ok' }

        Lists every port of the fleet that has a problem.
    .OUTPUTS
        WslPortProxy.DeployResult
            One per server:
              Server    the server's name
              Action    installed, upgraded, unchanged or failed; with -WhatIf 'would install' or
                        'would upgrade'
              ExitCode  the installer's exit code; $null when it did not run
              Message   what happened, in words
        WslPortProxy.FleetStatus
            With Status, one per forwarded port of every server:
              Server   the server's name
              Port     the listener ('0.0.0.0:80'); '' for a server that could not be asked
              State    'ok' or 'problem'; 'unreachable' or 'failed' for a server that could not be
                       asked
              Problem  '' when ok, else what is wrong
              View     whose view of WSL the server's status is (Get-WslPortProxyStatus's View.Text)
    .LINK
        Install-WslPortProxy
    .LINK
        Get-WslPortProxyStatus
    .LINK
        about_WslPortProxy
    #>
    [CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Deploy')]
    [OutputType('WslPortProxy.DeployResult', 'WslPortProxy.FleetStatus')]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $FleetPath,
        [string[]] $ComputerName = @(),
        [System.Management.Automation.PSCredential] $Credential,
        [Parameter(ParameterSetName = 'Deploy')] [System.Security.SecureString] $TaskPassword,
        [ValidateRange(1, 64)] [int] $ThrottleLimit = 8,
        [Parameter(Mandatory, ParameterSetName = 'Status')] [switch] $Status
    )
    $ErrorActionPreference = 'Stop'
    try {
        $servers = @(Select-FleetServer -Server @(Import-FleetData -FleetPath $FleetPath) -ComputerName $ComputerName)
        $activity = 'wsl-portproxy: ' + @('deploying', 'gathering status')[[int] [bool] $Status]
        Write-Progress -Activity $activity -Status "Connecting to $($servers.Count) server(s)" -PercentComplete 0
        $open = Open-FleetSession -ComputerName $servers.Name -Credential $Credential -ThrottleLimit $ThrottleLimit
        try {
            $work = @{ Server = $servers; Open = $open; ThrottleLimit = $ThrottleLimit; Activity = $activity }
            if ($Status) {
                Get-FleetStatus @work
            }
            else {
                Invoke-FleetDeploy @work -FleetPath $FleetPath -TaskPassword $TaskPassword
            }
        }
        finally {
            if ($open.Sessions.Count -gt 0) {
                Remove-PSSession -Session $open.Sessions
            }
            Write-Progress -Activity $activity -Completed
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}
