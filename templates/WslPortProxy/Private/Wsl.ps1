# wsl.exe, the podman machine and the WSL address.

function Find-WslProgram {
    <#
    .SYNOPSIS
        wsl.exe, preferring the WSL package's: the WindowsApps alias fails before logon.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $package = Join-Path -Path (Get-EnvironmentFolder -Name 'ProgramFiles') -ChildPath 'WSL'
    $candidates = @((Join-Path -Path $package -ChildPath 'wsl.exe'), (Get-System32Path -Name 'wsl.exe'))
    $path = Find-Program -Name 'wsl.exe' -Candidate $candidates
    if ($null -eq $path) {
        $message = "wsl.exe was not found (looked in $($candidates -join ', ') and on PATH). " +
            'Install WSL 2.0 or later for all users.'
        throw (New-Failure -ExitCode 3 -ErrorId 'WslNotFound' -Message $message -Category ObjectNotFound)
    }
    return $path
}

function Get-PodmanMachineState {
    <#
    .SYNOPSIS
        The machine's state from `podman machine inspect` ('running', 'stopped', ...), or why not.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Podman,
        [Parameter(Mandatory)] [string] $Distro
    )
    $result = Invoke-NativeCommand -FilePath $Podman -ArgumentList @('machine', 'inspect', $Distro)
    if ($result.ExitCode -ne 0) {
        return "unknown (podman machine inspect exit $($result.ExitCode): $(($result.Output -join ' ').Trim()))"
    }
    try {
        foreach ($machine in (($result.Output -join "`n") | ConvertFrom-Json)) {
            return "$($machine.State)".ToLowerInvariant()
        }
    }
    catch {
        return "unknown (unreadable output of podman machine inspect: $($_.Exception.Message))"
    }
    return 'unknown (podman machine inspect listed no machine)'
}

function Start-PodmanMachine {
    <#
    .SYNOPSIS
        Starts the podman machine of the distribution unless it is running; already running is fine.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [string] $Distro,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $programFiles = Get-EnvironmentFolder -Name 'ProgramFiles'
    $candidate = Join-Path -Path (Join-Path -Path (Join-Path -Path $programFiles -ChildPath 'RedHat') `
                -ChildPath 'Podman') -ChildPath 'podman.exe'
    $podman = Find-Program -Name 'podman.exe' -Candidate @($candidate)
    if ($null -eq $podman) {
        Write-Log -Log $Log -Level WARN -Message ("podman.exe was not found for $env:USERDOMAIN\$env:USERNAME; " +
            "not starting podman machine $Distro.")
        return
    }
    $state = Get-PodmanMachineState -Podman $podman -Distro $Distro
    if ($state -eq 'running' -or -not $PSCmdlet.ShouldProcess("podman machine $Distro", "Start (state: $state)")) {
        return
    }
    Write-Log -Log $Log -Message "Starting podman machine $Distro (state: $state) with $podman."
    $result = Invoke-NativeCommand -FilePath $podman -ArgumentList @('machine', 'start', $Distro)
    $text = $result.Output -join ' '
    if ($result.ExitCode -eq 0) {
        Write-Log -Log $Log -Message "podman machine $Distro started."
    }
    elseif ($result.ExitCode -eq 125 -and $text -match 'already running') {
        Write-Log -Log $Log -Message "podman machine $Distro is already running."
    }
    else {
        Write-Log -Log $Log -Level WARN -Message "podman machine start $Distro failed (exit $($result.ExitCode)): $text"
    }
}

function Get-WslAddress {
    <#
    .SYNOPSIS
        Waits up to TimeoutSeconds (0: one attempt) for an IPv4 address on eth0 in the distribution.
    .DESCRIPTION
        One wsl.exe call asks for eth0's address and for the networking mode (wslinfo, WSL 2.0 and
        later). Any mode but nat fails at once (exit 11): in mirrored or virtioproxy mode eth0 does
        not lead into a separate VM, so a rule would forward into this server itself or nowhere.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $WslPath,
        [Parameter(Mandatory)] [string] $Distro,
        [Parameter(Mandatory)] [int] $TimeoutSeconds,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    $probe = 'ip -4 -o addr show dev eth0; wslinfo --networking-mode 2>/dev/null; true'
    $arguments = @('--distribution', $Distro, '--exec', 'sh', '-c', $probe)
    $attempt = 0
    while ($true) {
        $attempt++
        $result = Invoke-NativeCommand -FilePath $WslPath -ArgumentList $arguments
        $text = ($result.Output -join ' ').Trim()
        if ($text -match 'WSL_E_DISTRO_NOT_FOUND') {
            $message = "WSL distribution '$Distro' is not registered for $env:USERDOMAIN\$env:USERNAME " +
                "(wsl.exe: $text). The task must run as the account that owns the distribution."
            throw (New-Failure -ExitCode 3 -ErrorId 'DistroNotFound' -Message $message -Category ObjectNotFound)
        }
        $mode = @($result.Output | Where-Object -FilterScript { "$_".Trim() -in @('mirrored', 'virtioproxy', 'none') })
        if ($result.ExitCode -eq 0 -and $mode.Count -gt 0) {
            $message = "WSL uses $("$($mode[0])".Trim()) networking (wslinfo --networking-mode): a portproxy rule " +
                'would forward into this server itself or to nothing. Set networkingMode=nat in the [wsl2] section ' +
                "of %USERPROFILE%\.wslconfig of the task's account and run wsl --shutdown (Windows Server has no " +
                'mirrored mode; Server 2025 falls back to none). No rule was changed.'
            throw (New-Failure -ExitCode 11 -ErrorId 'NotNatNetworking' -Message $message -Category NotImplemented)
        }
        if ($result.ExitCode -eq 0 -and $text -match '\binet\s+(\d{1,3}(?:\.\d{1,3}){3})/\d{1,2}\b') {
            Write-Log -Log $Log -Message "WSL address (eth0): $($Matches[1]) after $attempt attempt(s)."
            return $Matches[1]
        }
        if ((Get-Date) -ge $deadline) {
            break
        }
        Write-Log -Log $Log -Message ("Attempt ${attempt}: no IPv4 address on eth0 yet " +
            "(wsl.exe exit $($result.ExitCode)): $text")
        Start-Sleep -Milliseconds 500
    }
    $message = "WSL distribution '$Distro' had no IPv4 address on eth0 within $TimeoutSeconds seconds " +
        "($attempt attempts; last output: $text). No rule was changed."
    throw (New-Failure -ExitCode 4 -ErrorId 'NoWslAddress' -Message $message -Category ResourceUnavailable)
}

function Assert-ForeignAddress {
    <#
    .SYNOPSIS
        Fails (exit 11) when WSL's address is one of this server's own: WSL 1 (eth0 is the host's
        NIC) or mirrored networking, where a rule would forward the port into this server itself.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param([Parameter(Mandatory)] [string] $Address)
    $own = @(Get-NetIPAddress -AddressFamily IPv4 -ErrorAction SilentlyContinue | ForEach-Object -Process {
            "$($_.IPAddress)"
        })
    if ($own -contains $Address) {
        $message = "WSL's address $Address is one of this server's own addresses (WSL 1, or mirrored networking): " +
            'a portproxy rule to it would forward the port into this server itself. Use WSL 2 with NAT ' +
            'networking. No rule was changed.'
        throw (New-Failure -ExitCode 11 -ErrorId 'LocalAddress' -Message $message -Category InvalidResult)
    }
}
