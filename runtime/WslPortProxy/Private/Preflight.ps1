# What must hold before anything is installed: the Windows build, the WSL package, each port's
# availability, and an execution policy that lets the task's scripts run.

function New-PreflightResult {
    <#
    .SYNOPSIS
        One row of Test-WslPortProxy: what was checked, whether it is fine, and what to do if not.
    .DESCRIPTION
        Warning says what may still go wrong although the check passed ('' when nothing).
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Item,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [AllowEmptyString()] [string[]] $Problem,
        [AllowEmptyString()] [string] $Warning = ''
    )
    $problems = @($Problem | Where-Object -FilterScript { $_ })
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.PreflightResult'
        Item       = $Item
        Ok         = $problems.Count -eq 0
        Problem    = $problems -join ' '
        Warning    = $Warning
    }
}

function Get-WindowsBuildProblem {
    <#
    .SYNOPSIS
        Why this Windows cannot run WSL 2 (build below 19041), or '' when it can.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $key = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $build = 0
    $value = Get-ItemProperty -LiteralPath $key -Name 'CurrentBuildNumber' -ErrorAction SilentlyContinue
    if ($null -eq $value -or -not [int]::TryParse("$($value.CurrentBuildNumber)", [ref] $build)) {
        return "The Windows build number cannot be read ($key, CurrentBuildNumber)."
    }
    if ($build -lt 19041) {
        return "Windows build $build cannot run WSL 2, which needs build 19041 or later (Windows Server 2022 is " +
            '20348): under WSL 1 eth0 is this server''s own network card, so a rule would forward into the server ' +
            'itself. Use Windows Server 2022 or later.'
    }
    return ''
}

function Get-WslPackageProblem {
    <#
    .SYNOPSIS
        Why the WSL package (WSL 2.0 or later, %ProgramFiles%\WSL\wsl.exe) is missing, or ''.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $path = Join-Path -Path (Join-Path -Path (Get-EnvironmentFolder -Name 'ProgramFiles') -ChildPath 'WSL') `
        -ChildPath 'wsl.exe'
    if (Test-Path -LiteralPath $path -PathType Leaf) {
        return ''
    }
    return "The WSL package is not installed ($path is missing): the inbox or Store wsl.exe cannot be used by a " +
        'task before anyone logs on (microsoft/WSL#9231). Install WSL 2.0 or later: wsl.exe --update, or the .msi ' +
        'from https://github.com/microsoft/WSL/releases.'
}

function Get-ExcludedPortRange {
    <#
    .SYNOPSIS
        The TCP port ranges Windows excludes from the dynamic ports: First, Last, Administered.
    .DESCRIPTION
        Parses netsh int ipv4 show excludedportrange protocol=tcp by its numbers only: the headers
        are in the system language. Administered ranges (marked *) are the ones an administrator
        added with netsh int ipv4 add excludedportrange; the others are reserved by services such as
        Hyper-V and WinNAT.
    .OUTPUTS
        [pscustomobject] with First, Last, Administered.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param()
    $arguments = @('int', 'ipv4', 'show', 'excludedportrange', 'protocol=tcp')
    $result = Invoke-NativeCommand -FilePath (Get-SystemProgram -Name 'netsh.exe') -ArgumentList $arguments
    if ($result.ExitCode -ne 0) {
        $message = "netsh $($arguments -join ' ') failed (exit $($result.ExitCode)): $($result.Output -join ' ')"
        throw (New-Failure -ExitCode 1 -ErrorId 'NetshFailed' -Message $message)
    }
    foreach ($line in $result.Output) {
        if ("$line" -match '^\s*(\d{1,5})\s+(\d{1,5})(\s+\*)?\s*$') {
            $administered = $Matches.ContainsKey(3)
            [pscustomobject]@{ First = [int] $Matches[1]; Last = [int] $Matches[2]; Administered = $administered }
        }
    }
}

function Get-ExcludedPortFinding {
    <#
    .SYNOPSIS
        For one port: the problem (a range a service reserves) or the warning (an administered exclusion).
    .DESCRIPTION
        A range Hyper-V or WinNAT reserves keeps IP Helper's bind out (an assumption no Microsoft page
        settles; widely reported). An administered exclusion only keeps its range out of the dynamic
        ports: an explicit bind there is expected to succeed (assumption; the nearest source is
        KB 3039044), so it is only a warning, and -Status tells whether IP Helper really listens.
    .OUTPUTS
        [pscustomobject] with Problem and Warning (each '' when none).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [int] $Port,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Range
    )
    $finding = [pscustomobject]@{ Problem = ''; Warning = '' }
    foreach ($item in $Range) {
        if ($Port -lt $item.First -or $Port -gt $item.Last) {
            continue
        }
        $span = '{0}-{1}' -f $item.First, $item.Last
        if ($item.Administered) {
            $finding.Warning = "Port $Port lies in the administered port exclusion $span (marked * by netsh int ipv4 " +
                'show excludedportrange protocol=tcp): that keeps it out of the dynamic ports, and IP Helper''s ' +
                'explicit bind is expected to succeed; if -Status shows it not listening, remove the exclusion or ' +
                'forward another port.'
        }
        else {
            $finding.Problem = "Port $Port lies in the excluded port range $span (netsh int ipv4 show " +
                'excludedportrange protocol=tcp): Windows reserves it and IP Helper cannot listen there; forward ' +
                'another port.'
        }
    }
    return $finding
}

function Get-PortPreflight {
    <#
    .SYNOPSIS
        One row per forwarded address and port: excluded range, another listener, an address not ours.
    .DESCRIPTION
        A listener that is IP Helper's (our portproxy, from an earlier install) is fine, and so is
        one beside the rule's wildcard address (WSL's localhost relay on 127.0.0.1 for a port a
        container publishes): only what keeps IP Helper's bind out is a problem. Three queries
        whatever the number of ports (listeners, services, this server's addresses) and one netsh call.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule)
    $ranges = @(Get-ExcludedPortRange)
    $table = Get-ListenerTable
    $own = @(Get-NetIPAddress -ErrorAction SilentlyContinue | ForEach-Object -Process {
            "$($_.IPAddress)".ToLowerInvariant()
        })
    foreach ($item in $Rule) {
        $endpoint = Format-Endpoint -Address $item.ListenAddress -Port $item.ListenPort
        $excluded = Get-ExcludedPortFinding -Port $item.ListenPort -Range $ranges
        $problems = @($excluded.Problem)
        $verdict = Get-ListenerVerdict -Rule $item -Table $table
        if ($verdict.Blocked) {
            $problems += "$endpoint is held by $($verdict.Owner): stop it there, or forward another port."
        }
        if ($item.ListenAddress -notin @('0.0.0.0', '::') -and $own -notcontains $item.ListenAddress) {
            $problems += "$($item.ListenAddress) is not an address of this server (Get-NetIPAddress): portproxy " +
                'cannot listen on it; use one of its addresses, 0.0.0.0 or ::.'
        }
        New-PreflightResult -Item $endpoint -Problem $problems -Warning $excluded.Warning
    }
}

function Get-PodmanWarning {
    <#
    .SYNOPSIS
        Why the task's podman.exe may not be the one an administrator installed, or '' (machine-wide install).
    .DESCRIPTION
        The task runs podman.exe elevated. A per-user install (%LOCALAPPDATA%\Programs\Podman, the
        default of the MSI from Podman 5.7) can be replaced by the account's unelevated processes;
        only administrators can write %ProgramFiles%. This checks as the admin who runs it, not as
        the task's account.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $machine = @(Get-MachinePodmanPath)
    if (@($machine | Where-Object -FilterScript { Test-Path -LiteralPath $_ -PathType Leaf }).Count -gt 0) {
        return ''
    }
    return "No podman.exe for all users ($($machine -join ', ')): the task would use its account's per-user " +
        'install (%LOCALAPPDATA%\Programs\Podman\podman.exe), which that account''s unelevated processes can ' +
        'replace, and run it elevated (only administrators can write %ProgramFiles%). Install Podman for all ' +
        'users (the MSI in machine scope, or the setup.exe).'
}

function Get-PreflightResult {
    <#
    .SYNOPSIS
        Every preflight row: the Windows build, the WSL package, podman.exe (for a podman machine),
        then one per forwarded port.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule,
        [switch] $PodmanMachine
    )
    New-PreflightResult -Item 'Windows build' -Problem @(Get-WindowsBuildProblem)
    New-PreflightResult -Item 'WSL package' -Problem @(Get-WslPackageProblem)
    if ($PodmanMachine) {
        New-PreflightResult -Item 'podman.exe' -Problem @() -Warning (Get-PodmanWarning)
    }
    Get-PortPreflight -Rule $Rule
}

function Get-ExecutionPolicyProblem {
    <#
    .SYNOPSIS
        Why Group Policy's execution policy would stop the task's scripts, or nothing.
    .DESCRIPTION
        A policy from Group Policy (MachinePolicy, UserPolicy) outranks the task's
        -ExecutionPolicy Bypass. Restricted runs no script; AllSigned runs only validly signed
        ones, so every script file of the module and the entry scripts must be signed (a
        RemoteSigned policy runs local, unblocked scripts: fine).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $BundlePath)
    foreach ($scope in @('MachinePolicy', 'UserPolicy')) {
        $policy = "$(Get-ExecutionPolicy -Scope $scope)"
        if ($policy -eq 'Restricted') {
            "Group Policy ($scope) sets the execution policy Restricted, which -ExecutionPolicy Bypass cannot " +
                'override: no script can run, so the task could not start. Ask for RemoteSigned, or AllSigned with a ' +
                'signed release (docs/admin-guide.md: Signing and execution policy).'
        }
        elseif ($policy -eq 'AllSigned') {
            $scripts = @(Get-BundleFile -BundlePath $BundlePath | Where-Object -FilterScript {
                    $_ -match '\.ps(m?1|d1)$' -and $_ -ne $script:WslppSettingsFile
                })
            $unsigned = @($scripts | Where-Object -FilterScript {
                    $path = Get-BundleItemPath -BundlePath $BundlePath -Name $_
                    "$((Get-AuthenticodeSignature -FilePath $path).Status)" -ne 'Valid'
                })
            if ($unsigned.Count -gt 0) {
                "Group Policy ($scope) sets the execution policy AllSigned, which -ExecutionPolicy Bypass cannot " +
                    "override, and $($unsigned.Count) of $($scripts.Count) script files of this bundle are not " +
                    "validly signed (first: $($unsigned[0])): the task would end with 0x1 before writing a log. " +
                    'Install a signed release (docs/admin-guide.md: Signing and execution policy).'
            }
        }
    }
}

function Get-InteropWarning {
    <#
    .SYNOPSIS
        Why the distribution's interop is a way to the task's elevated token, or '' when interop is off.
    .DESCRIPTION
        With interop on, Linux processes start Windows programs through the wsl.exe of their session,
        with its token (microsoft/WSL#11454): the task's wsl.exe, elevated, keeps running in the
        distribution. init sets WSL_INTEROP in a process it starts only when interop is on for the
        distribution (the machine-wide switch and /etc/wsl.conf [interop] enabled; microsoft/WSL
        src/linux/init/init.cpp, CreateProcessUtilityVm), so that variable is what is asked. Only a
        running distribution is asked: asking starts one, outside podman machine start.
    .OUTPUTS
        System.String
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Distro,
        [ValidateRange(1, 86400)] [int] $CommandTimeout = $script:WslppCommandTimeoutSeconds
    )
    $account = "$env:USERDOMAIN\$env:USERNAME"
    try {
        $wsl = Find-WslProgram
    }
    catch {
        return "Interop was not checked: $($_.Exception.Message)"
    }
    $list = Invoke-Wsl -WslPath $wsl -ArgumentList @('--list', '--running', '--quiet') -CommandTimeout $CommandTimeout
    if ($list.ExitCode -ne 0 -or @($list.Output | ForEach-Object -Process { "$_".Trim() }) -notcontains $Distro) {
        return "Interop was not checked: WSL distribution '$Distro' is not running for $account, and asking would " +
            'start it outside podman machine start. Run -Preflight again as the task''s account while the task runs.'
    }
    $probe = 'if [ -n "$WSL_INTEROP" ]; then echo interop-on; else echo interop-off; fi'
    $result = Invoke-Wsl -WslPath $wsl -ArgumentList @('--distribution', $Distro, '--exec', 'sh', '-c', $probe) `
        -CommandTimeout $CommandTimeout
    $said = ($result.Output -join ' ').Trim()
    if ($result.ExitCode -eq 0 -and $said -eq 'interop-off') {
        return ''
    }
    if ($result.ExitCode -ne 0 -or $said -ne 'interop-on') {
        return "Interop was not checked: wsl.exe exit $($result.ExitCode): $said"
    }
    return "Interop is on in WSL distribution '$Distro': its Linux processes can start Windows programs as " +
        "$account, elevated when the task started the distribution (microsoft/WSL#11454), so root in it, or a " +
        'container that escapes to it, can act as an administrator of this server. Unless the podman machine uses ' +
        "user-mode networking (which needs interop), add [interop] enabled=false to /etc/wsl.conf in the " +
        "distribution and run wsl --terminate $Distro."
}
